import { describe, expect, it } from 'vitest';
import type { ExportJob } from '@/lib/exports/types';
import { newerJob, upsertJobInList } from './export-cache';

const job = (id: string, updated_at: string, patch: Partial<ExportJob> = {}) =>
  ({ id, updated_at, created_at: updated_at, shards_written: 0, ...patch }) as ExportJob;

describe('newerJob', () => {
  it('keeps the newer row whichever arrives last', () => {
    const a = job('1', '2026-01-01T00:00:01Z', { shards_written: 1 });
    const b = job('1', '2026-01-01T00:00:02Z', { shards_written: 2 });
    expect(newerJob(a, b)).toBe(b);
    expect(newerJob(b, a)).toBe(b);
    expect(newerJob(undefined, a)).toBe(a);
  });
});

describe('upsertJobInList', () => {
  it('replaces in place or inserts newest first', () => {
    const list = [job('2', '2026-01-02T00:00:00Z'), job('1', '2026-01-01T00:00:00Z')];
    const updated = upsertJobInList(
      list,
      job('1', '2026-01-03T00:00:00Z', { shards_written: 5, created_at: '2026-01-01T00:00:00Z' }),
    );
    expect(updated?.map((j) => [j.id, j.shards_written])).toEqual([
      ['2', 0],
      ['1', 5],
    ]);
    const inserted = upsertJobInList(list, job('3', '2026-01-04T00:00:00Z'));
    expect(inserted?.map((j) => j.id)).toEqual(['3', '2', '1']);
  });

  it('leaves an unloaded list alone', () => {
    expect(upsertJobInList(undefined, job('1', '2026-01-01T00:00:00Z'))).toBeUndefined();
  });
});
