import { describe, expect, it } from 'vitest';
import { shardCountNote } from './shard-count-note';

const job = { rows_written: 26_800, estimated_rows: 26_800, page_size: 100, lane_count: 4, tail_complete: true };

describe('shardCountNote', () => {
  it('explains a total above what the records fill: one part-filled shard per lane', () => {
    expect(shardCountNote(job, 269)).toBe(
      '1 more than 26,800 records fill at 100 a shard: each of the 4 lanes ends on a part-filled shard',
    );
  });

  it('says nothing when the total is what the records fill, or with one lane', () => {
    expect(shardCountNote(job, 268)).toBeNull();
    expect(shardCountNote({ ...job, lane_count: 1 }, 269)).toBeNull();
  });

  it('measures a running export against its estimate', () => {
    expect(shardCountNote({ ...job, tail_complete: false, rows_written: 1_000 }, 270)).toMatch(/^2 more than 26,800/);
  });
});
