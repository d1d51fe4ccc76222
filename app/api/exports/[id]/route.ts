import { parseUuidParam } from '@/lib/api/path-params';
import { requireUser } from '@/lib/api/require-user';
import { handleRoute } from '@/lib/api/route-handler';
import { getExportOrThrow } from '@/lib/exports/get-export-or-throw';

type Ctx = { params: Promise<{ id: string }> };

export const GET = handleRoute<Ctx>(async (request, { params }) => {
  const id = parseUuidParam((await params).id, 'export id');
  const { supabase } = await requireUser(request);
  return Response.json(await getExportOrThrow(supabase, id));
});
