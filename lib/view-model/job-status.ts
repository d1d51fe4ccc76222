import type { ExportJob } from '@/lib/exports/types';
import { expectedShards, isActive } from './shard-states';

export type JobStatusKey = ExportJob['status'] | 'cancelling' | 'awaiting_approval' | 'expired';
export type Tone = 'neutral' | 'done' | 'running' | 'failed' | 'pending' | 'cancelled';

/**
 * The status a person should see: a cancel the worker has not acknowledged yet reads "Cancelling…", a
 * queued export held for an admin "Awaiting approval", an ended one whose files are gone "Expired".
 */
export function jobStatusKey(
  job: Pick<ExportJob, 'status' | 'cancel_requested_at'> & Partial<Pick<ExportJob, 'approval' | 'expired_at'>>,
): JobStatusKey {
  if (isActive(job.status) && job.cancel_requested_at) return 'cancelling';
  if (job.status === 'queued' && job.approval === 'pending') return 'awaiting_approval';
  if (job.expired_at) return 'expired';
  return job.status;
}

export const JOB_STATUS_LABEL: Record<JobStatusKey, string> = {
  queued: 'Queued',
  running: 'Running',
  retrying: 'Retrying',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Cancelled',
  cancelling: 'Cancelling…',
  awaiting_approval: 'Awaiting approval',
  expired: 'Expired',
};

export const JOB_STATUS_TONE: Record<JobStatusKey, Tone> = {
  queued: 'pending',
  running: 'running',
  retrying: 'failed',
  completed: 'done',
  failed: 'failed',
  cancelled: 'cancelled',
  cancelling: 'cancelled',
  awaiting_approval: 'pending',
  expired: 'neutral',
};

/** Shards done vs expected, for progress bars: the estimate can be exceeded, never over 100 %. */
export function jobProgress(
  job: Pick<ExportJob, 'status' | 'shards_written' | 'estimated_rows' | 'page_size' | 'tail_complete'> &
    Partial<Pick<ExportJob, 'lanes'>>,
) {
  const expected = job.tail_complete ? job.shards_written : Math.max(expectedShards(job), job.shards_written);
  const fraction = expected === 0 ? (job.status === 'completed' ? 1 : 0) : Math.min(1, job.shards_written / expected);
  return { done: job.shards_written, expected, fraction };
}

/** Wall time from start to finish (or to `now` while running); null before it started. */
export function jobDurationMs(
  job: Pick<ExportJob, 'started_at' | 'finished_at' | 'created_at'>,
  now: number,
): number | null {
  const start = job.started_at ?? null;
  if (!start) return null;
  const end = job.finished_at ? Date.parse(job.finished_at) : now;
  return Math.max(0, end - Date.parse(start));
}
