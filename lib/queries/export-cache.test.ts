import { describe, expect, it } from 'vitest';
import type { ExportJob } from '@/lib/exports/types';
import { exportListMessageSchema, type ExportListMessage } from '@/lib/realtime/export-list-message';
import { applyListMessage, newerJob, upsertJobInList } from './export-cache';

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

describe('applyListMessage', () => {
  const org = 'org-1';
  const row = (id: string, updated_at: string, patch: Partial<ExportJob> = {}) =>
    job(id, updated_at, { organisation_id: org, status: 'running', rows_written: 0, ...patch });
  const progress = (id: string, updated_at: string, patch: Partial<ExportListMessage['jobs'][number]> = {}) => ({
    id,
    status: 'running' as const,
    shards_written: 0,
    rows_written: 0,
    bytes_written: 0,
    gzip_bytes_written: null,
    tail_complete: false,
    estimated_rows: 5_000,
    created_at: '2026-01-01T00:00:00Z',
    updated_at,
    ...patch,
  });
  const message = (patch: Partial<ExportListMessage>): ExportListMessage => ({
    at: '2026-01-01T00:00:10Z',
    jobs: [],
    truncated: false,
    ...patch,
  });

  it('puts each running export’s progress on its row, unless the row is newer', () => {
    const list = [row('a', '2026-01-01T00:00:05Z'), row('b', '2026-01-01T00:00:09Z', { shards_written: 7 })];
    const { list: next, drifted } = applyListMessage(
      list,
      org,
      message({
        jobs: [
          progress('a', '2026-01-01T00:00:06Z', { shards_written: 3, rows_written: 750 }),
          progress('b', '2026-01-01T00:00:08Z', { shards_written: 6 }),
        ],
      }),
    );
    expect(drifted).toBe(false);
    expect(next?.map((j) => [j.id, j.shards_written, j.rows_written])).toEqual([
      ['a', 3, 750],
      ['b', 7, 0],
    ]);
    // The rest of the row stays.
    expect(next?.[0]?.organisation_id).toBe(org);
  });

  it('adds or replaces the export whose state changed, whole', () => {
    const list = [row('a', '2026-01-01T00:00:05Z')];
    const created = row('c', '2026-01-01T00:00:10Z', { created_at: '2026-01-01T00:00:10Z', status: 'queued' });
    const { list: next } = applyListMessage(
      list,
      org,
      message({
        job: created,
        jobs: [progress('c', created.updated_at, { status: 'queued' }), progress('a', '2026-01-01T00:00:05Z')],
      }),
    );
    expect(next?.map((j) => [j.id, j.status])).toEqual([
      ['c', 'queued'],
      ['a', 'running'],
    ]);
  });

  it('says the list drifted when a message names an export it lacks, unless older than everything listed', () => {
    const list = [row('a', '2026-01-01T00:00:05Z', { created_at: '2026-01-01T00:00:01Z' })];
    const missed = progress('x', '2026-01-01T00:00:06Z', { created_at: '2026-01-01T00:00:02Z' });
    const beyond = progress('y', '2026-01-01T00:00:06Z', { created_at: '2025-12-01T00:00:00Z' });
    const a = progress('a', '2026-01-01T00:00:05Z');
    expect(applyListMessage(list, org, message({ jobs: [a, missed] })).drifted).toBe(true);
    // Older than the oldest listed: beyond the list's 200, not missing from it.
    expect(applyListMessage(list, org, message({ jobs: [a, beyond] })).drifted).toBe(false);
    expect(applyListMessage([], org, message({ jobs: [beyond] })).drifted).toBe(true);
  });

  it('says the list drifted when a running export is absent from a newer message (its end was missed)', () => {
    const running = row('a', '2026-01-01T00:00:05Z');
    expect(applyListMessage([running], org, message({})).drifted).toBe(true);
    // Not when the row is newer than the message, belongs to another organisation, is finished, or the
    // message lists only the newest 100.
    expect(applyListMessage([row('a', '2026-01-01T00:00:11Z')], org, message({})).drifted).toBe(false);
    expect(applyListMessage([{ ...running, organisation_id: 'org-2' }], org, message({})).drifted).toBe(false);
    expect(applyListMessage([{ ...running, status: 'completed' }], org, message({})).drifted).toBe(false);
    expect(applyListMessage([running], org, message({ truncated: true })).drifted).toBe(false);
  });

  it('leaves an unloaded list alone', () => {
    expect(applyListMessage(undefined, org, message({ jobs: [progress('a', '2026-01-01T00:00:05Z')] }))).toEqual({
      list: undefined,
      drifted: false,
    });
  });

  it('accepts the feed’s messages and refuses other shapes', () => {
    const sent = {
      at: '2026-01-01T00:00:10.123+00:00',
      jobs: [progress('a', '2026-01-01T00:00:05Z')],
      truncated: false,
      id: 'message id added by realtime.send',
    };
    expect(exportListMessageSchema.safeParse(sent).success).toBe(true);
    expect(exportListMessageSchema.safeParse({ ...sent, job: row('a', '2026-01-01T00:00:05Z') }).success).toBe(true);
    expect(exportListMessageSchema.safeParse({ record: row('a', '2026-01-01T00:00:05Z') }).success).toBe(false);
    expect(exportListMessageSchema.safeParse({ ...sent, jobs: [{ id: 'a' }] }).success).toBe(false);
  });
});
