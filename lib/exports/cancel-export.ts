import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';
import { AppError } from '@/lib/api/app-error';
import { rpcError } from '@/lib/api/rpc-error';
import { getOperableExportOrThrow } from './get-operable-export-or-throw';
import type { ExportJob } from './types';

/**
 * Asks a job to stop. Nobody working on it: cancelled at once. A worker holding the lease sees the
 * request when it records its next shard and stops there (the two-phase "Cancelling…" state).
 */
export async function cancelExport(
  deps: { user: { supabase: TypedSupabaseClient } },
  jobId: string,
): Promise<ExportJob> {
  // The role first: a viewer is refused as a viewer whatever the job's state.
  const job = await getOperableExportOrThrow(deps.user.supabase, jobId);
  if (job.status === 'completed' || job.status === 'failed' || job.status === 'cancelled') {
    throw new AppError('conflict', `This export is already ${job.status}; there is nothing to cancel.`);
  }
  // As the user: the database checks their role again, then the state, atomically with the cancel.
  const { data, error } = await deps.user.supabase.rpc('cancel_export', { p_job_id: jobId }).single<ExportJob>();
  if (error) throw rpcError(error, `Cancelling export ${jobId}`);
  return data;
}
