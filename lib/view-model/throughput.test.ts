import { describe, expect, it } from 'vitest';
import { throughputRows, throughputSeries } from './throughput';

const shard = (lane: number, atS: number, rows = 250, durationMs = 0) => ({
  lane,
  rows,
  duration_ms: durationMs,
  written_at: new Date(Date.UTC(2026, 11, 1, 10, 0, 0) + atS * 1000).toISOString(),
});

describe('throughputSeries', () => {
  it('counts each lane’s shards in one-second bins from its first shard to its last, gaps included', () => {
    const s = throughputSeries([
      shard(1, 0),
      shard(1, 0.6),
      shard(2, 0.5, 100),
      // Lane 1 hands off: nothing recorded in second 1, then it goes on.
      shard(1, 2.1),
      shard(2, 1.5, 100),
    ])!;
    expect(s.binMs).toBe(1_000);
    expect(s.lanes.map((l) => [l.lane, l.records, l.points.map((p) => p.perSecond)])).toEqual([
      [1, 750, [500, 0, 250]],
      [2, 200, [100, 100]],
    ]);
    expect(s.peak).toBe(500);
    expect(s.to - s.from).toBe(2_100);
  });

  it('starts at the first page’s fetch and keeps about 60 bins across a long export', () => {
    const shards = Array.from({ length: 1_200 }, (_, i) => shard(1 + (i % 4), i * 0.5, 250, 400));
    const s = throughputSeries(shards)!;
    expect(s.from).toBe(Date.parse(shards[0]!.written_at) - 400);
    expect(s.binMs).toBe(Math.ceil((599.5 * 1000 + 400) / 60));
    for (const lane of s.lanes) expect(lane.points.length).toBeLessThanOrEqual(61);
    // Every lane writes 250 records every 2 s all along: ~125 a second in every bin (whole shards per bin).
    for (const point of s.lanes[0]!.points.slice(1, -1)) expect(point.perSecond).toBeCloseTo(125, -1.5);
    expect(s.lanes.reduce((sum, l) => sum + l.records, 0)).toBe(300_000);
  });

  it('has nothing to draw before the first shard', () => {
    expect(throughputSeries([])).toBeNull();
  });
});

describe('throughputRows', () => {
  it('puts the lanes side by side per bin, in seconds since the start, each only where it ran', () => {
    const s = throughputSeries([shard(1, 0), shard(1, 0.6), shard(2, 1.5, 100), shard(1, 2.1)])!;
    expect(throughputRows(s)).toEqual([
      { seconds: 0.5, lane1: 500 },
      { seconds: 1.5, lane1: 0, lane2: 100 },
      { seconds: 2.5, lane1: 250 },
    ]);
  });
});
