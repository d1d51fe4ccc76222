import { parseJsonBody } from '@/lib/api/parse-json-body';
import { requireUser } from '@/lib/api/require-user';
import { handleRoute } from '@/lib/api/route-handler';
import { routeDeps } from '@/lib/api/server-deps';
import { listExports, listExportsQuery } from '@/lib/exports/list-exports';
import { startExport, startExportInput } from '@/lib/exports/start-export';

/** Start an export: 201 with the queued job; the worker runs in the background. */
export const POST = handleRoute(async (request) => {
  const deps = await routeDeps(request);
  const input = await parseJsonBody(request, startExportInput);
  const job = await startExport(deps, input);
  return Response.json(job, { status: 201, headers: { Location: `/api/exports/${job.id}` } });
});

/** The caller's organisation's exports, newest first. */
export const GET = handleRoute(async (request) => {
  const { supabase } = await requireUser(request);
  const query = listExportsQuery.parse(Object.fromEntries(new URL(request.url).searchParams));
  return Response.json(await listExports(supabase, query));
});
