import { z } from 'zod';
import { parseJsonBody } from '@/lib/api/parse-json-body';
import { requireUser } from '@/lib/api/require-user';
import { handleRoute } from '@/lib/api/route-handler';
import { routeDeps } from '@/lib/api/server-deps';
import { startExport, startExportInput } from '@/lib/exports/start-export';

/** Start an export: 201 with the queued job; the worker runs in the background. */
export const POST = handleRoute(async (request) => {
  const deps = await routeDeps(request);
  const input = await parseJsonBody(request, startExportInput);
  const job = await startExport(deps, input);
  return Response.json(job, { status: 201, headers: { Location: `/api/exports/${job.id}` } });
});

const listQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) });

/** The caller's organisation's exports, newest first. */
export const GET = handleRoute(async (request) => {
  const { supabase } = await requireUser(request);
  const { limit } = listQuery.parse(Object.fromEntries(new URL(request.url).searchParams));
  const { data, error } = await supabase
    .from('export_jobs')
    .select('*')
    .order('created_at', { ascending: false })
    .limit(limit);
  if (error) throw new Error(`Listing exports failed: ${error.message}`);
  return Response.json(data);
});
