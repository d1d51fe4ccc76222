import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';

/**
 * Invokes the export worker for one lane of a job (or, without a lane, whichever lane is due). Best
 * effort: the worker answers 202 at once; if the call fails, the lane stays queued and the sweep
 * (pg_cron, or the devstack's timer) starts it.
 */
async function kickExportWorker(admin: TypedSupabaseClient, jobId: string, lane?: number): Promise<boolean> {
  const { error } = await admin.functions.invoke('export-worker', { body: { jobId, lane } });
  if (error) console.warn(`[exports] could not start the worker for ${jobId}; the sweep will: ${error.message}`);
  return !error;
}

/** One worker per lane, started side by side; lanes over the caps wait and start as others end. */
export async function kickExportLanes(
  admin: TypedSupabaseClient,
  jobId: string,
  lanes: readonly number[],
): Promise<void> {
  await Promise.all(lanes.map((lane) => kickExportWorker(admin, jobId, lane)));
}
