import { describe, expect, it } from 'vitest';
import { laneCount } from './lane-count';
import { findLaneBounds } from './plan-lanes';

/** A sorted key set and its exact `key <= x` count, counting how often it is asked. */
function source(keys: bigint[]) {
  const sorted = [...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let probes = 0;
  const countUpTo = async (x: bigint) => {
    probes += 1;
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid]! <= x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const laneSizes = (bounds: bigint[]) => {
    const edges = [sorted[0]! - 1n, ...bounds, sorted.at(-1)!];
    return edges.slice(1).map((upper, i) => sorted.filter((k) => k > edges[i]! && k <= upper).length);
  };
  return { sorted, countUpTo, laneSizes, probes: () => probes };
}

describe('laneCount', () => {
  it('takes one lane per 25,000 records, at most 8, never a lane smaller than a page', () => {
    expect(laneCount(10_000, 250)).toBe(1);
    expect(laneCount(100_000, 250)).toBe(4);
    expect(laneCount(5_000_000, 250)).toBe(8);
    expect(laneCount(100_000, 250, 2)).toBe(2);
    expect(laneCount(600, 250, 8)).toBe(3);
    expect(laneCount(0, 250)).toBe(1);
  });
});

describe('findLaneBounds', () => {
  it('splits evenly spread keys into lanes within ±10 % in a few rounds of probes', async () => {
    const s = source(Array.from({ length: 100_000 }, (_, i) => BigInt(1_000_000 + 7 * i + (i % 3))));
    const bounds = await findLaneBounds({
      total: 100_000,
      lanes: 4,
      minKey: s.sorted[0]!,
      maxKey: s.sorted.at(-1)!,
      countUpTo: s.countUpTo,
    });
    for (const size of s.laneSizes(bounds)) expect(Math.abs(size - 25_000)).toBeLessThanOrEqual(2_500);
    expect(s.probes()).toBeLessThanOrEqual(3 * 4);
  });

  it('converges on skewed keys (most of them bunched at one end)', async () => {
    const keys = [
      ...Array.from({ length: 9_000 }, (_, i) => BigInt(10 + i)),
      ...Array.from({ length: 1_000 }, (_, i) => BigInt(1e12 + i * 1e6)),
    ];
    const s = source(keys);
    const bounds = await findLaneBounds({
      total: keys.length,
      lanes: 8,
      minKey: s.sorted[0]!,
      maxKey: s.sorted.at(-1)!,
      countUpTo: s.countUpTo,
    });
    expect(bounds).toHaveLength(7);
    for (const size of s.laneSizes(bounds)) expect(Math.abs(size - 1_250)).toBeLessThanOrEqual(125);
  });

  it('keeps int64 keys above 2^53 exact: consecutive keys there still split into exact, distinct bounds', async () => {
    // 2^53 + 1 = 9007199254740993 is the first integer a float64 cannot hold.
    const keys = Array.from({ length: 2_000 }, (_, i) => 9007199254740993n + BigInt(i));
    const s = source(keys);
    const bounds = await findLaneBounds({
      total: keys.length,
      lanes: 4,
      minKey: s.sorted[0]!,
      maxKey: s.sorted.at(-1)!,
      countUpTo: s.countUpTo,
    });
    expect(bounds).toHaveLength(3);
    expect(s.laneSizes(bounds).reduce((a, b) => a + b, 0)).toBe(2_000);
    for (const size of s.laneSizes(bounds)) expect(Math.abs(size - 500)).toBeLessThanOrEqual(50);
  });
});
