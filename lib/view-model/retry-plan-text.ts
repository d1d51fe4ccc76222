import type { RetryPlan, TailLane } from '@/lib/exports/retry-export';
import { formatShardRanges, numberRanges } from './activity';
import { andList, formatCount } from './format';

/** [3, 4] → "lanes 3 and 4", [2, 3, 4] → "lanes 2–4", [1, 3] → "lanes 1 and 3". */
function laneList(lanes: readonly number[]): string {
  const parts = numberRanges(lanes).map(([a, b]) => (a === b ? `${a}` : b === a + 1 ? `${a} and ${b}` : `${a}–${b}`));
  return `${lanes.length === 1 ? 'lane' : 'lanes'} ${andList(parts)}`;
}

/** "shards 121–269 of lane 2 (records 12,001–26,900)": where a started lane resumes, to its estimated end. */
function resumedLane(t: TailLane): string {
  if (t.toLaneShard <= t.fromLaneShard || t.toRecord <= t.fromRecord) {
    // Past its estimate already: where it resumes is all there is to say.
    return `lane ${t.lane} from its shard ${formatCount(t.fromLaneShard)} (record ${formatCount(t.fromRecord)} on)`;
  }
  return (
    `shards ${formatCount(t.fromLaneShard)}–${formatCount(t.toLaneShard)} of lane ${t.lane} ` +
    `(records ${formatCount(t.fromRecord)}–${formatCount(t.toRecord)})`
  );
}

/**
 * The never-written rest, named: each started lane's shards and records from where it resumes, the
 * lanes that never started grouped ("lanes 3 and 4 in full (13,400 records)"). Where a lane ends is its
 * estimate, said once up front. Shard numbers are the lane's own: job-wide numbers are given as shards
 * are recorded.
 */
export function describeTail(lanes: readonly TailLane[], rowsEstimate: number): string {
  if (lanes.length === 0) return `the unwritten rest (~${formatCount(rowsEstimate)} records)`;
  const fresh = lanes.filter((t) => t.fromRecord === 1);
  const parts = lanes.filter((t) => t.fromRecord > 1).map(resumedLane);
  if (fresh.length > 0) {
    const records = fresh.reduce((sum, t) => sum + t.toRecord, 0);
    parts.push(`${laneList(fresh.map((t) => t.lane))} in full (${formatCount(records)} records)`);
  }
  return `the unwritten rest, by the estimate: ${andList(parts)}`;
}

/** "shards 38 and 215–268 (13,750 records) and the unwritten rest, by the estimate: shards 121–269 of lane 2 (…)". */
export function describePlan(plan: RetryPlan): string {
  const parts: string[] = [];
  if (plan.shards.length > 0) {
    const ranges = numberRanges(plan.shards.map((s) => s.shardNo));
    parts.push(`${formatShardRanges(ranges)} (${formatCount(plan.rows)} records)`);
  }
  if (plan.tail) parts.push(describeTail(plan.tailLanes, plan.tailRowsEstimate));
  return parts.join(' and ') || 'nothing';
}

/** The confirm button's few words: "2 shards and the unwritten rest". */
export function describePlanBriefly(plan: Pick<RetryPlan, 'shards' | 'tail'>): string {
  const n = plan.shards.length;
  const shards = n > 0 ? `${formatCount(n)} shard${n === 1 ? '' : 's'}` : null;
  const tail = plan.tail ? 'the unwritten rest' : null;
  return [shards, tail].filter(Boolean).join(' and ') || 'nothing';
}
