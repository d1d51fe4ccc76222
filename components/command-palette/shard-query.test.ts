import { describe, expect, it } from 'vitest';
import { shardQuery } from './shard-query';

describe('shardQuery', () => {
  it('reads a shard number however support writes it', () => {
    expect(shardQuery('12')).toBe(12);
    expect(shardQuery('#12')).toBe(12);
    expect(shardQuery('shard 12')).toBe(12);
    expect(shardQuery('Shard #1,204')).toBe(1_204);
    expect(shardQuery('  shard12 ')).toBe(12);
  });

  it('is no shard number for names, ids and zero', () => {
    expect(shardQuery('blog posts')).toBeNull();
    expect(shardQuery('c3703a57')).toBeNull();
    expect(shardQuery('shard')).toBeNull();
    expect(shardQuery('0')).toBeNull();
  });
});
