import { describe, expect, it } from 'vitest';
import type { Segment } from './download-plan';
import { sliceSegments } from './slice-segments';

const shard = (shardNo: number, bytes: number, skip: number): Segment => ({
  kind: 'shard',
  object: { shardNo, storageKey: `k${shardNo}`, bytes, sha256: 'x', generation: 1, attempt: 1 },
  skip,
});

describe('sliceSegments', () => {
  // File: a 3-byte literal (the Excel form's BOM), shard 1 (10 bytes, header kept), shards 2 and 3
  // (10 bytes each, 4-byte header skipped).
  const segments: Segment[] = [
    { kind: 'literal', bytes: new Uint8Array([0xef, 0xbb, 0xbf]) },
    shard(1, 10, 0),
    shard(2, 10, 4),
    shard(3, 10, 4),
  ];
  const name = (s: Segment) => (s.kind === 'shard' ? `shard ${s.object.shardNo}` : 'literal');

  it('maps a range spanning several shards onto each shard’s own window', () => {
    expect(sliceSegments(segments, { start: 11, end: 20 }).map((s) => [name(s.segment), s.from, s.to])).toEqual([
      ['shard 1', 8, 10],
      ['shard 2', 0, 6],
      ['shard 3', 0, 2],
    ]);
  });

  it('serves a range inside the literal or one shard without touching the others', () => {
    expect(sliceSegments(segments, { start: 0, end: 1 }).map((s) => name(s.segment))).toEqual(['literal']);
    expect(sliceSegments(segments, { start: 14, end: 15 }).map((s) => name(s.segment))).toEqual(['shard 2']);
  });

  it('reassembles the whole file from consecutive ranges', () => {
    const total = 3 + 10 + 6 + 6;
    const covered: number[] = [];
    for (let start = 0; start < total; start += 5) {
      for (const slice of sliceSegments(segments, { start, end: Math.min(start + 4, total - 1) })) {
        covered.push(slice.to - slice.from);
      }
    }
    expect(covered.reduce((a, b) => a + b, 0)).toBe(total);
  });
});
