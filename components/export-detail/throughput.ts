import type { ExportInvocation } from '@/lib/exports/types';

export type ThroughputPoint = { at: number; perSecond: number };
export type ThroughputSeries = {
  lanes: Array<{ lane: number; points: ThroughputPoint[]; records: number }>;
  from: number;
  to: number;
  peak: number;
};

/**
 * Records/s over time, per lane, from the invocation timeline: each invocation that wrote something is
 * one point — its records over its wall time, at its midpoint. Hand-offs and retries show as the gaps
 * and dips between points. Running invocations count up to their last heartbeat.
 */
export function throughputSeries(
  invocations: ReadonlyArray<
    Pick<ExportInvocation, 'lane_no' | 'started_at' | 'ended_at' | 'last_heartbeat_at' | 'rows_written'>
  >,
): ThroughputSeries | null {
  const byLane = new Map<number, { points: ThroughputPoint[]; records: number }>();
  let from = Infinity;
  let to = -Infinity;
  let peak = 0;
  for (const inv of invocations) {
    const start = Date.parse(inv.started_at);
    const endIso = inv.ended_at ?? inv.last_heartbeat_at;
    if (!endIso || inv.rows_written <= 0) continue;
    const end = Date.parse(endIso);
    if (!(end > start)) continue;
    const perSecond = inv.rows_written / ((end - start) / 1000);
    const lane = inv.lane_no ?? 1;
    const entry = byLane.get(lane) ?? { points: [], records: 0 };
    entry.points.push({ at: (start + end) / 2, perSecond });
    entry.records += inv.rows_written;
    byLane.set(lane, entry);
    from = Math.min(from, start);
    to = Math.max(to, end);
    peak = Math.max(peak, perSecond);
  }
  if (byLane.size === 0) return null;
  const lanes = [...byLane.entries()]
    .sort(([a], [b]) => a - b)
    .map(([lane, e]) => ({ lane, records: e.records, points: e.points.sort((a, b) => a.at - b.at) }));
  return { lanes, from, to, peak };
}
