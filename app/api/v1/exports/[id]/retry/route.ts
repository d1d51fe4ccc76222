import { readJsonBody } from '@/lib/api-v1/read-json-body';
import { retryOrganisationExport } from '@/lib/api-v1/retry-organisation-export';
import { exportIdParams, retryExportBody, toExportResource } from '@/lib/api-v1/schemas';
import { shardStorage } from '@/lib/api-v1/shard-storage';
import { v1Route } from '@/lib/api-v1/v1-route';

type Ctx = { params: Promise<{ id: string }> };

/** Re-run only what is missing or damaged (and the unwritten tail); `dryRun: true` answers the plan only. */
export const POST = v1Route<Ctx>('exports:write', async (request, caller, { params }) => {
  const { id } = exportIdParams.parse(await params);
  const input = await readJsonBody(request, retryExportBody);
  const { plan, job } = await retryOrganisationExport(caller, shardStorage(caller), id, input);
  const { tailLanes: _lanes, ...summary } = plan;
  return Response.json({ plan: summary, export: toExportResource(job) }, { status: input.dryRun ? 200 : 202 });
});
