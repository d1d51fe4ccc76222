import type { ExportShard, ExportShardFailure } from '@/lib/exports/types';

/**
 * A shard by its place in its lane. A failure names its shard this way: a tail shard gets its job-wide
 * number only when it is recorded, and shard numbers are given out in recording order across lanes.
 */
export type LanePosition = { lane: number; laneSeq: number };

/** A lane's shard the manifest does not list but the lane failed at: where it gave up, or what it retries. */
export type UnwrittenLaneShard = LanePosition & { gaveUp: boolean };

export const samePosition = (a: LanePosition, lane: number, laneSeq: number): boolean =>
  a.lane === lane && a.laneSeq === laneSeq;

/**
 * The shard each lane was on when it last failed in this run, for lanes that have not recorded it since,
 * in lane order. A lane that failed and then wrote the shard, or that failed re-running a shard the
 * manifest already lists, has none: the map shows those shards by their own number.
 */
export function unwrittenLaneShards(
  runNo: number,
  shards: ReadonlyArray<Pick<ExportShard, 'lane' | 'lane_seq'>>,
  failures: ReadonlyArray<Pick<ExportShardFailure, 'id' | 'run_no' | 'lane' | 'lane_seq' | 'outcome'>>,
): UnwrittenLaneShard[] {
  const latest = new Map<number, (typeof failures)[number]>();
  for (const f of failures) {
    if (f.run_no !== runNo) continue;
    const seen = latest.get(f.lane);
    if (!seen || f.id > seen.id) latest.set(f.lane, f);
  }
  const claimed = new Set(shards.map((s) => `${s.lane}:${s.lane_seq}`));
  return [...latest.values()]
    .filter((f) => !claimed.has(`${f.lane}:${f.lane_seq}`))
    .sort((a, b) => a.lane - b.lane)
    .map((f) => ({ lane: f.lane, laneSeq: f.lane_seq, gaveUp: f.outcome === 'failed' }));
}
