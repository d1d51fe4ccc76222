import type { z } from 'zod';
import { rpcError } from '@/lib/api/rpc-error';
import { kickRerunLanes, planRetry, type RetryPlan, type retryExportInput } from '@/lib/exports/retry-export';
import type { ExportJob } from '@/lib/exports/types';
import type { ShardStorage } from '@/lib/exports/verify-shards';
import type { ApiCaller } from './authenticate-api-token';
import { getOrganisationExportOrThrow } from './get-organisation-export-or-throw';

/**
 * "Retry missing" for a token: the dashboard's plan (`planRetry`), read with the service client once the
 * job is known to be the organisation's, and the same state-machine function that queues the re-run.
 */
export async function retryOrganisationExport(
  caller: ApiCaller,
  storage: ShardStorage,
  jobId: string,
  input: z.output<typeof retryExportInput>,
): Promise<{ plan: RetryPlan; job: ExportJob }> {
  const job = await getOrganisationExportOrThrow(caller, jobId);
  const plan = await planRetry({ reader: caller.admin, ...storage }, job, input);
  if (input.dryRun) return { plan, job };
  const { data, error } = await caller.admin
    .rpc('request_export_rerun', {
      p_job_id: jobId,
      p_shard_nos: plan.shards.map((s) => s.shardNo),
      p_reasons: plan.shards.map((s) => s.reason),
    })
    .single<ExportJob>();
  if (error) throw rpcError(error, `Queuing the re-run of export ${jobId}`);
  await kickRerunLanes(caller.admin, data);
  return { plan, job: data };
}
