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

describe('jobDurationMs', () => {
  it('runs to now until finished', () => {
    const job = { created_at: '2026-01-01T00:00:00Z', started_at: '2026-01-01T00:00:10Z', finished_at: null };
    expect(jobDurationMs(job, Date.parse('2026-01-01T00:01:10Z'))).toBe(60_000);
    expect(jobDurationMs({ ...job, finished_at: '2026-01-01T00:00:40Z' }, 0)).toBe(30_000);
    expect(jobDurationMs({ ...job, started_at: null }, 0)).toBeNull();
  });
});
