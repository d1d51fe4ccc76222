import type { ExportShard } from '@/lib/exports/types';

type ThroughputPoint = { at: number; perSecond: number };
export type ThroughputSeries = {
  lanes: Array<{ lane: number; points: ThroughputPoint[]; records: number }>;
  from: number;
  to: number;
  /** Width of one bin: the chart's resolution. */
  binMs: number;
  peak: number;
};

/** About this many bins across the export, never finer than a second (a shard takes ~0.1–0.3 s). */
const TARGET_BINS = 60;
const MIN_BIN_MS = 1_000;

/**
 * Records/s over time, per lane, from the manifest: every shard's rows counted in the time bin it was
 * recorded in. A lane's line runs from its first shard to its last, empty bins included, so a hand-off,
 * a retry's backoff or a slow page shows as the dip it was. Re-written shards count when re-written.
 */
export function throughputSeries(
  shards: ReadonlyArray<Pick<ExportShard, 'lane' | 'rows' | 'written_at' | 'duration_ms'>>,
): ThroughputSeries | null {
  if (shards.length === 0) return null;
  let from = Infinity;
  let to = -Infinity;
  for (const shard of shards) {
    const written = Date.parse(shard.written_at);
    // The first bin starts when the first page was fetched, not when it was recorded.
    from = Math.min(from, written - Math.max(0, shard.duration_ms));
    to = Math.max(to, written);
  }
  const binMs = Math.max(MIN_BIN_MS, Math.ceil((to - from) / TARGET_BINS));
  const binOf = (at: number) => Math.floor((at - from) / binMs);

  const byLane = new Map<number, { rows: Map<number, number>; first: number; last: number; records: number }>();
  for (const shard of shards) {
    const bin = binOf(Date.parse(shard.written_at));
    const lane = byLane.get(shard.lane) ?? { rows: new Map(), first: bin, last: bin, records: 0 };
    lane.rows.set(bin, (lane.rows.get(bin) ?? 0) + shard.rows);
    lane.first = Math.min(lane.first, bin);
    lane.last = Math.max(lane.last, bin);
    lane.records += shard.rows;
    byLane.set(shard.lane, lane);
  }

  let peak = 0;
  const lanes = [...byLane.entries()]
    .sort(([a], [b]) => a - b)
    .map(([lane, entry]) => {
      const points: ThroughputPoint[] = [];
      for (let bin = entry.first; bin <= entry.last; bin++) {
        const perSecond = (entry.rows.get(bin) ?? 0) / (binMs / 1000);
        peak = Math.max(peak, perSecond);
        points.push({ at: from + (bin + 0.5) * binMs, perSecond });
      }
      return { lane, records: entry.records, points };
    });
  return { lanes, from, to, binMs, peak };
}

/** One row per bin for a line chart: seconds since the start and each lane's records/s (absent outside its run). */
export type ThroughputRow = { seconds: number } & Partial<Record<`lane${number}`, number>>;

/** The series as chart rows, in time order; a lane has a value only from its first bin to its last. */
export function throughputRows(series: ThroughputSeries): ThroughputRow[] {
  const rows = new Map<number, ThroughputRow>();
  for (const lane of series.lanes) {
    for (const point of lane.points) {
      const row = rows.get(point.at) ?? { seconds: (point.at - series.from) / 1000 };
      row[`lane${lane.lane}`] = point.perSecond;
      rows.set(point.at, row);
    }
  }
  return [...rows.entries()].sort(([a], [b]) => a - b).map(([, row]) => row);
}
