import { AppError } from '@/lib/api/app-error';
import type { ExportJob } from '@/lib/exports/types';
import type { ApiCaller } from './authenticate-api-token';

/**
 * An export of the token's organisation. The service client passes RLS, so the organisation filter here
 * is the guard: another organisation's export reads as missing (404), never as forbidden.
 */
export async function getOrganisationExportOrThrow(caller: ApiCaller, jobId: string): Promise<ExportJob> {
  const { data, error } = await caller.admin
    .from('export_jobs')
    .select('*')
    .eq('id', jobId)
    .eq('organisation_id', caller.organisationId)
    .maybeSingle<ExportJob>();
  if (error) throw new Error(`Reading export ${jobId} failed: ${error.message}`);
  if (!data) throw new AppError('not_found', `Export ${jobId} was not found in this token's organisation.`);
  return data;
}
