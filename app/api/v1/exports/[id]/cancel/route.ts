import { cancelOrganisationExport } from '@/lib/api-v1/cancel-organisation-export';
import { exportIdParams, toExportResource } from '@/lib/api-v1/schemas';
import { v1Route } from '@/lib/api-v1/v1-route';

type Ctx = { params: Promise<{ id: string }> };

/** 202 while a running export stops at its next shard; 200 once it is cancelled. */
export const POST = v1Route<Ctx>('exports:write', async (_request, caller, { params }) => {
  const { id } = exportIdParams.parse(await params);
  const job = await cancelOrganisationExport(caller, id);
  return Response.json(toExportResource(job), { status: job.status === 'cancelled' ? 200 : 202 });
});
