import { describe, expect, it } from 'vitest';
import { closestValues, distance } from './suggest-close-values';

describe('closestValues', () => {
  it('ranks what the field holds by closeness to the typed value, then by how common', () => {
    const counts = [
      { value: 'DRAFT', count: 900 },
      { value: 'PUBLISHED', count: 5_000 },
      { value: 'SCHEDULED', count: 40 },
    ];
    expect(closestValues('publishd', counts, 2)).toEqual([
      { value: 'PUBLISHED', count: 5_000 },
      { value: 'DRAFT', count: 900 },
    ]);
    expect(distance('abc', 'ABC')).toBe(0);
    expect(distance('kitten', 'sitting')).toBe(3);
  });
});
