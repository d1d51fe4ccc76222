import type { ExportJob, ExportShard, ExportShardFailure } from '@/lib/exports/types';
import type { LanePosition } from './lane-positions';
import { cellOfPosition, type ShardMapModel } from './shard-states';
import { triesAt } from './shard-tries';

export type FailureFocus = {
  /** The failure the banner describes: lane, place in the lane, invocation. */
  failure: ExportShardFailure;
  position: LanePosition;
  /** Its cell on the shard map, or null when the map cannot place it. */
  shardNo: number | null;
  /** This run's failed tries at that shard: "tried N times". */
  tries: ExportShardFailure[];
};

/**
 * The shard the failure banner is about. A failed job carries the error of the first lane that gave up
 * (settle_export_job takes the failed lane with the earliest finished_at), so the banner names that
 * lane's give-up; a retrying job, the shard of its latest failure. Shard, lane and count then all describe
 * the same shard as its cell and its panel.
 */
export function failureFocus(
  job: Pick<ExportJob, 'status' | 'run_no' | 'lane_count'>,
  manifest: { shards: readonly ExportShard[]; failures: readonly ExportShardFailure[] } | undefined,
  model: ShardMapModel,
): FailureFocus | null {
  const runFailures = (manifest?.failures ?? []).filter((f) => f.run_no === job.run_no);
  const failure =
    job.status === 'failed'
      ? (runFailures.filter((f) => f.outcome === 'failed').sort((a, b) => a.id - b.id)[0] ?? runFailures.at(-1))
      : runFailures.at(-1);
  if (!failure) return null;
  const position = { lane: failure.lane, laneSeq: failure.lane_seq };
  const written = manifest?.shards.find((s) => s.lane === failure.lane && s.lane_seq === failure.lane_seq);
  // One lane numbers its shards in order, so its lane_seq is the job-wide number.
  const shardNo =
    written?.shard_no ?? cellOfPosition(model, position) ?? (job.lane_count === 1 ? failure.lane_seq : null);
  return { failure, position, shardNo, tries: triesAt(runFailures, job.run_no, position) };
}
