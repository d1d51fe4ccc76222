import type { ExportJob } from '@/lib/exports/types';
import { expectedShards } from './shard-states';

export type MilestoneJob = Pick<
  ExportJob,
  'status' | 'shards_written' | 'rows_written' | 'estimated_rows' | 'page_size' | 'cancel_requested_at' | 'last_error'
>;

const QUARTERS = [25, 50, 75] as const;
const number = new Intl.NumberFormat('en-US');

function quarter(job: MilestoneJob): number {
  const expected = expectedShards(job);
  if (expected === 0) return 0;
  const pct = (job.shards_written / expected) * 100;
  return QUARTERS.filter((q) => pct >= q).at(-1) ?? 0;
}

/**
 * What the polite live region says when the job row changes — milestones only (status changes, a cancel
 * request, each quarter of the way), never every shard: a screen reader reading 4,000 updates is noise.
 */
export function milestoneMessage(prev: MilestoneJob | null, next: MilestoneJob): string | null {
  if (!prev) return null;
  if (prev.status !== next.status) {
    switch (next.status) {
      case 'running':
        return prev.status === 'retrying' ? 'Export resumed.' : 'Export started.';
      case 'retrying':
        return `Export hit an error and will retry${next.last_error ? `: ${next.last_error}` : '.'}`;
      case 'completed':
        return `Export completed: ${number.format(next.rows_written)} records in ${number.format(next.shards_written)} shards.`;
      case 'failed':
        return `Export failed${next.last_error ? `: ${next.last_error}` : '.'}`;
      case 'cancelled':
        return `Export cancelled: ${number.format(next.shards_written)} shards (${number.format(next.rows_written)} records) written.`;
      case 'queued':
        return 'Export queued.';
    }
  }
  if (!prev.cancel_requested_at && next.cancel_requested_at && next.status !== 'cancelled') return 'Cancelling…';
  const q = quarter(next);
  if (next.status === 'running' && q > quarter(prev)) return `${q}% of shards written.`;
  return null;
}
