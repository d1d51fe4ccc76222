import { describe, expect, it } from 'vitest';
import { parseByteRange, sliceSegments } from './byte-range';
import type { Segment } from './download-plan';

const shard = (shardNo: number, objectBytes: number, skip: number): Segment => ({
  kind: 'shard',
  shardNo,
  storageKey: `k${shardNo}`,
  sha256: 'x',
  objectBytes,
  skip,
});

describe('parseByteRange', () => {
  it('reads a-b, a- and suffix ranges, clamping the end to the file', () => {
    expect(parseByteRange('bytes=0-9', 100)).toEqual({ start: 0, end: 9 });
    expect(parseByteRange('bytes=90-', 100)).toEqual({ start: 90, end: 99 });
    expect(parseByteRange('bytes=-10', 100)).toEqual({ start: 90, end: 99 });
    expect(parseByteRange('bytes=95-500', 100)).toEqual({ start: 95, end: 99 });
    expect(parseByteRange('bytes=-500', 100)).toEqual({ start: 0, end: 99 });
  });

  it('answers unsatisfiable past the end or for reversed ranges', () => {
    expect(parseByteRange('bytes=100-', 100)).toBe('unsatisfiable');
    expect(parseByteRange('bytes=10-5', 100)).toBe('unsatisfiable');
    expect(parseByteRange('bytes=-0', 100)).toBe('unsatisfiable');
  });

  it('ignores what it does not serve: no header, other units, several ranges', () => {
    expect(parseByteRange(null, 100)).toBeNull();
    expect(parseByteRange('items=0-1', 100)).toBeNull();
    expect(parseByteRange('bytes=0-1,5-6', 100)).toBeNull();
  });
});

describe('sliceSegments', () => {
  // File: shard 1 (10 bytes, header kept), shard 2 (10 bytes, 4-byte header skipped), shard 3 likewise.
  const segments = [shard(1, 10, 0), shard(2, 10, 4), shard(3, 10, 4)];

  it('maps a range spanning several shards onto each shard’s own window', () => {
    expect(
      sliceSegments(segments, { start: 8, end: 17 }).map((s) => [
        s.segment.kind === 'shard' && s.segment.shardNo,
        s.from,
        s.to,
      ]),
    ).toEqual([
      [1, 8, 10],
      [2, 0, 6],
      [3, 0, 2],
    ]);
  });

  it('serves a range inside one shard without touching the others', () => {
    expect(sliceSegments(segments, { start: 11, end: 12 })).toHaveLength(1);
  });

  it('reassembles the whole file from consecutive ranges', () => {
    const total = 10 + 6 + 6;
    const covered: number[] = [];
    for (let start = 0; start < total; start += 5) {
      for (const slice of sliceSegments(segments, { start, end: Math.min(start + 4, total - 1) })) {
        covered.push(slice.to - slice.from);
      }
    }
    expect(covered.reduce((a, b) => a + b, 0)).toBe(total);
  });
});
