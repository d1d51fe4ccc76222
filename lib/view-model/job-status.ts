import type { ExportJob } from '@/lib/exports/types';
import { expectedShards, isActive } from './shard-states';

export type JobStatusKey = ExportJob['status'] | 'cancelling';
export type Tone = 'neutral' | 'done' | 'running' | 'failed' | 'pending' | 'cancelled';

/** The status a person should see: a cancel the worker has not acknowledged yet reads "Cancelling…". */
export function jobStatusKey(job: Pick<ExportJob, 'status' | 'cancel_requested_at'>): JobStatusKey {
  return isActive(job.status) && job.cancel_requested_at ? 'cancelling' : job.status;
}

export const JOB_STATUS_LABEL: Record<JobStatusKey, string> = {
  queued: 'Queued',
  running: 'Running',
  retrying: 'Retrying',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Cancelled',
  cancelling: 'Cancelling…',
};

export const JOB_STATUS_TONE: Record<JobStatusKey, Tone> = {
  queued: 'pending',
  running: 'running',
  retrying: 'failed',
  completed: 'done',
  failed: 'failed',
  cancelled: 'cancelled',
  cancelling: 'cancelled',
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
