import type { ExportShardFailure } from '@/lib/exports/types';
import { formatCount } from './format';
import type { LanePosition } from './lane-positions';

/**
 * This run's failed tries at one shard: what "tried 5 times" counts in the failure banner and the shard
 * panel. It is the lane's `attempts` the lane bar shows: the database adds one failure row each time it
 * raises a lane's attempts, and sets attempts back to 0 when the lane records a shard or a re-run starts.
 */
export function triesAt<F extends Pick<ExportShardFailure, 'run_no' | 'lane' | 'lane_seq'>>(
  failures: readonly F[],
  runNo: number,
  position: LanePosition | null,
): F[] {
  if (!position) return [];
  return failures.filter((f) => f.run_no === runNo && f.lane === position.lane && f.lane_seq === position.laneSeq);
}

/** How the banner, the shard panel and the lane bar say a number of failed tries. */
export function triedText(tries: number): string {
  if (tries <= 0) return '';
  return tries === 1 ? 'tried once' : `tried ${formatCount(tries)} times`;
}
