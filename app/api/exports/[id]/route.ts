import { parseJsonBody } from '@/lib/api/parse-json-body';
import { parseUuidParam } from '@/lib/api/path-params';
import { requireUser } from '@/lib/api/require-user';
import { handleRoute } from '@/lib/api/route-handler';
import { routeDeps } from '@/lib/api/server-deps';
import { getExportOrThrow } from '@/lib/exports/get-export-or-throw';
import { renameExport, renameExportInput } from '@/lib/exports/rename-export';

type Ctx = { params: Promise<{ id: string }> };

export const GET = handleRoute<Ctx>(async (request, { params }) => {
  const id = parseUuidParam((await params).id, 'export id');
  const { supabase } = await requireUser(request);
  return Response.json(await getExportOrThrow(supabase, id));
});

/** Rename: `{ "name": "Q4 blog audit" }` (1–200 characters); answers the updated job. */
export const PATCH = handleRoute<Ctx>(async (request, { params }) => {
  const id = parseUuidParam((await params).id, 'export id');
  const deps = await routeDeps(request);
  const input = await parseJsonBody(request, renameExportInput);
  return Response.json(await renameExport(deps, id, input));
});
