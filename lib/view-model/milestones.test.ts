import { describe, expect, it } from 'vitest';
import { milestoneMessage, type MilestoneJob } from './milestones';

const job = (patch: Partial<MilestoneJob> = {}): MilestoneJob => ({
  status: 'running',
  shards_written: 0,
  rows_written: 0,
  estimated_rows: 1000,
  page_size: 10,
  cancel_requested_at: null,
  last_error: null,
  ...patch,
});

describe('milestoneMessage', () => {
  it('says nothing for the first snapshot or an ordinary shard', () => {
    expect(milestoneMessage(null, job())).toBeNull();
    expect(milestoneMessage(job({ shards_written: 3 }), job({ shards_written: 4 }))).toBeNull();
  });

  it('announces each quarter once', () => {
    expect(milestoneMessage(job({ shards_written: 24 }), job({ shards_written: 26 }))).toBe('25% of shards written.');
    expect(milestoneMessage(job({ shards_written: 26 }), job({ shards_written: 27 }))).toBeNull();
    expect(milestoneMessage(job({ shards_written: 10 }), job({ shards_written: 80 }))).toBe('75% of shards written.');
  });

  it('announces status changes and the cancel request', () => {
    expect(milestoneMessage(job(), job({ cancel_requested_at: '2026-01-01T00:00:00Z' }))).toBe('Cancelling…');
    expect(milestoneMessage(job(), job({ status: 'cancelled', shards_written: 12, rows_written: 120 }))).toBe(
      'Export cancelled: 12 shards (120 records) written.',
    );
    expect(milestoneMessage(job(), job({ status: 'failed', last_error: 'source 503' }))).toBe(
      'Export failed: source 503',
    );
    expect(milestoneMessage(job(), job({ status: 'completed', shards_written: 100, rows_written: 1000 }))).toBe(
      'Export completed: 1,000 records in 100 shards.',
    );
  });
});
