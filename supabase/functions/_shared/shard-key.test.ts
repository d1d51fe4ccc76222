import { describe, expect, it } from 'vitest';
import { shardStorageKey } from './shard-key.ts';

describe('shardStorageKey', () => {
  const base = { organisationId: 'org', jobId: 'job', lane: 2, laneSeq: 12, generation: 3, format: 'csv' as const };

  it('is a pure function of the job metadata', () => {
    expect(shardStorageKey(base)).toBe('org/job/lane-2/shard-000012.g3.csv');
    expect(shardStorageKey(base)).toBe(shardStorageKey({ ...base }));
  });

  it('differs per lane and generation, so a fenced-off writer cannot overwrite a recorded shard', () => {
    expect(shardStorageKey({ ...base, generation: 4 })).not.toBe(shardStorageKey(base));
    expect(shardStorageKey({ ...base, lane: 3 })).not.toBe(shardStorageKey(base));
  });

  it('uses the format as the extension', () => {
    expect(shardStorageKey({ ...base, format: 'ndjson' })).toBe('org/job/lane-2/shard-000012.g3.ndjson');
    expect(shardStorageKey({ ...base, encoding: 'gzip' })).toBe('org/job/lane-2/shard-000012.g3.csv.gz');
  });
});
