import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';

/**
 * Invokes the export worker for a job. Best effort: the worker answers 202 at once; if the call fails,
 * the job stays queued and the sweep (pg_cron, or the devstack's timer) starts the worker.
 */
export async function kickExportWorker(admin: TypedSupabaseClient, jobId: string): Promise<boolean> {
  const { error } = await admin.functions.invoke('export-worker', { body: { jobId } });
  if (error) console.warn(`[exports] could not start the worker for ${jobId}; the sweep will: ${error.message}`);
  return !error;
}
