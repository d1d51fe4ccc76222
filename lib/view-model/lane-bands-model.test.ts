import { describe, expect, it } from 'vitest';
import { laneBands } from './lane-bands-model';

describe('laneBands', () => {
  it('says each lane in words, measured against its estimate until it is done', () => {
    const bands = laneBands([
      { lane: 1, status: 'completed', shards: 98, rows: 24_400, estimated: 25_000, attempts: 0 },
      { lane: 2, status: 'running', shards: 40, rows: 10_000, estimated: 25_000, attempts: 0 },
      { lane: 3, status: 'retrying', shards: 3, rows: 750, estimated: 25_000, attempts: 2 },
      { lane: 4, status: 'queued', shards: 0, rows: 0, estimated: 25_000, attempts: 0 },
      { lane: 5, status: 'failed', shards: 17, rows: 4_250, estimated: 25_000, attempts: 5 },
    ]);
    expect(bands.map((b) => b.label)).toEqual([
      'Lane 1: 24,400 of 24,400 records, done',
      'Lane 2: 10,000 of 25,000 records, writing',
      'Lane 3: 750 of 25,000 records, retrying, tried 2 times',
      'Lane 4: 0 of 25,000 records, waiting',
      // Its five failed tries, as the failure banner and the shard panel count them (not "attempt 6").
      'Lane 5: 4,250 of 25,000 records, failed, tried 5 times',
    ]);
  });
});
