import { describe, expect, it } from 'vitest';
import { throughputSeries } from './throughput';

const inv = (lane: number, fromS: number, toS: number | null, rows: number, heartbeatS: number | null = null) => {
  const t = (s: number) => new Date(Date.UTC(2026, 11, 1, 10, 0, s)).toISOString();
  return {
    lane_no: lane,
    started_at: t(fromS),
    ended_at: toS === null ? null : t(toS),
    last_heartbeat_at: heartbeatS === null ? null : t(heartbeatS),
    rows_written: rows,
  };
};

describe('throughputSeries', () => {
  it('gives each lane one point per invocation that wrote something: records over wall time', () => {
    const s = throughputSeries([
      inv(1, 0, 10, 5_000),
      inv(2, 0, 5, 5_000),
      inv(1, 10, 20, 2_500),
      inv(1, 20, 21, 0),
      inv(2, 6, null, 1_000, 8),
    ])!;
    expect(s.lanes.map((l) => [l.lane, l.records, l.points.map((p) => p.perSecond)])).toEqual([
      [1, 7_500, [500, 250]],
      [2, 6_000, [1_000, 500]],
    ]);
    expect(s.peak).toBe(1_000);
    expect(s.to - s.from).toBe(20_000);
    expect(throughputSeries([inv(1, 0, 1, 0)])).toBeNull();
  });
});
