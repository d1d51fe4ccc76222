import type { ExportJob } from '@/lib/exports/types';
import { formatCount } from './format';

/**
 * Why the shard total is more than the records fill at a page a shard: each lane ends on its own
 * part-filled shard. Without it, "269 of 269 shards" for 26,800 records at 100 a shard reads like a
 * miscount (the extra shard appears when the lane holding it finishes — often on a re-run). Null when
 * the total is what the records fill.
 */
export function shardCountNote(
  job: Pick<ExportJob, 'rows_written' | 'estimated_rows' | 'page_size' | 'lane_count' | 'tail_complete'>,
  expected: number,
): string | null {
  if (job.page_size <= 0 || job.lane_count < 2) return null;
  const rows = job.tail_complete ? job.rows_written : job.estimated_rows;
  const extra = expected - Math.ceil(rows / job.page_size);
  if (extra <= 0) return null;
  return (
    `${formatCount(extra)} more than ${formatCount(rows)} records fill at ${formatCount(job.page_size)} a shard: ` +
    `each of the ${job.lane_count} lanes ends on a part-filled shard`
  );
}
