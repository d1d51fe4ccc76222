import { AppError } from '@/lib/api/app-error';
import { rpcError } from '@/lib/api/rpc-error';
import type { ExportJob } from '@/lib/exports/types';
import type { ApiCaller } from './authenticate-api-token';
import { getOrganisationExportOrThrow } from './get-organisation-export-or-throw';

/**
 * The dashboard's cancel for a token: the organisation check stands where the person's role check stands
 * in `cancelExport`, then the same state-machine function (`request_export_cancel`) takes it from there.
 */
export async function cancelOrganisationExport(caller: ApiCaller, jobId: string): Promise<ExportJob> {
  const job = await getOrganisationExportOrThrow(caller, jobId);
  if (job.status === 'completed' || job.status === 'failed' || job.status === 'cancelled') {
    throw new AppError('conflict', `This export is already ${job.status}; there is nothing to cancel.`);
  }
  const { data, error } = await caller.admin.rpc('request_export_cancel', { p_job_id: jobId }).single<ExportJob>();
  if (error) throw rpcError(error, `Cancelling export ${jobId}`);
  return data;
}
