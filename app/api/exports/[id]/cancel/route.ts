import { parseUuidParam } from '@/lib/api/path-params';
import { handleRoute } from '@/lib/api/route-handler';
import { routeDeps } from '@/lib/api/server-deps';
import { cancelExport } from '@/lib/exports/cancel-export';

type Ctx = { params: Promise<{ id: string }> };

/** 202: a running job stops at its next shard; the job row says "cancelled" once the worker has seen it. */
export const POST = handleRoute<Ctx>(async (request, { params }) => {
  const id = parseUuidParam((await params).id, 'export id');
  const job = await cancelExport(await routeDeps(request), id);
  return Response.json(job, { status: job.status === 'cancelled' ? 200 : 202 });
});
