import { describe, expect, it } from 'vitest';
import { jobDurationMs, jobProgress, jobStatusKey } from './job-status';

describe('jobStatusKey', () => {
  it('shows an unacknowledged cancel as cancelling', () => {
    expect(jobStatusKey({ status: 'running', cancel_requested_at: '2026-01-01T00:00:00Z' })).toBe('cancelling');
    expect(jobStatusKey({ status: 'cancelled', cancel_requested_at: '2026-01-01T00:00:00Z' })).toBe('cancelled');
    expect(jobStatusKey({ status: 'running', cancel_requested_at: null })).toBe('running');
  });
});

describe('jobProgress', () => {
  it('measures against the estimate and caps at 100 %', () => {
    expect(
      jobProgress({ status: 'running', shards_written: 2, estimated_rows: 1000, page_size: 250, tail_complete: false }),
    ).toEqual({
      done: 2,
      expected: 4,
      fraction: 0.5,
    });
    expect(
      jobProgress({ status: 'running', shards_written: 6, estimated_rows: 1000, page_size: 250, tail_complete: false })
        .fraction,
    ).toBe(1);
    expect(
      jobProgress({ status: 'completed', shards_written: 0, estimated_rows: 0, page_size: 250, tail_complete: true })
        .fraction,
    ).toBe(1);
  });
});

describe('jobProgress with lanes', () => {
  // 26,800 records in 4 lanes of 100-record pages; the lanes' even-split estimates are 6,700 each.
  const lane = (status: 'running' | 'completed' | 'failed', shards: number, rows: number) => ({
    lane: 1,
    status,
    shards,
    rows,
    estimated: 6_700,
    attempts: 0,
  });
  const base = { estimated_rows: 26_800, page_size: 100, tail_complete: false } as const;

  it('counts a finished lane as written: one holding 6,750 records ends on a 68th, part-filled shard', () => {
    const p = jobProgress({
      ...base,
      status: 'failed',
      shards_written: 68 + 40 * 3,
      lanes: [
        lane('completed', 68, 6_750),
        lane('failed', 40, 4_000),
        lane('failed', 40, 4_000),
        lane('failed', 40, 4_000),
      ],
    });
    expect(p.expected).toBe(269);
  });

  it('never expects fewer than a running lane has written', () => {
    const p = jobProgress({
      ...base,
      status: 'running',
      shards_written: 70 + 3,
      lanes: [lane('running', 70, 6_950), lane('running', 1, 100), lane('running', 1, 100), lane('running', 1, 100)],
    });
    expect(p.expected).toBe(70 + 67 * 3);
  });
});

describe('jobDurationMs', () => {
  it('runs to now until finished', () => {
    const job = { created_at: '2026-01-01T00:00:00Z', started_at: '2026-01-01T00:00:10Z', finished_at: null };
    expect(jobDurationMs(job, Date.parse('2026-01-01T00:01:10Z'))).toBe(60_000);
    expect(jobDurationMs({ ...job, finished_at: '2026-01-01T00:00:40Z' }, 0)).toBe(30_000);
    expect(jobDurationMs({ ...job, started_at: null }, 0)).toBeNull();
  });
});
