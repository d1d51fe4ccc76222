import { describe, expect, it } from 'vitest';
import type { ExportManifestChangesRead } from '@/lib/exports/read-export-manifest';
import type {
  ExportEvent,
  ExportInvocation,
  ExportJob,
  ExportShard,
  ExportShardAttempt,
  ExportShardFailure,
} from '@/lib/exports/types';
import type { ExportManifest } from './export-manifest-query';
import { mergeManifestChanges } from './merge-manifest-changes';

const job = (updated_at: string, shards_written = 0) => ({ id: 'j', updated_at, shards_written }) as ExportJob;
const shard = (no: number, lane: number, seq: number, over: Partial<ExportShard> = {}) =>
  ({ job_id: 'j', shard_no: no, lane, lane_seq: seq, attempt: 1, status: 'written', ...over }) as ExportShard;
const attempt = (shardNo: number, n: number) => ({ job_id: 'j', shard_no: shardNo, attempt: n }) as ExportShardAttempt;
const invocation = (id: string, started_at: string, over: Partial<ExportInvocation> = {}) =>
  ({ id, job_id: 'j', started_at, ended_at: null, shards_written: 0, ...over }) as ExportInvocation;
const failure = (id: number) => ({ id, job_id: 'j' }) as ExportShardFailure;
const event = (id: number) => ({ id, job_id: 'j' }) as ExportEvent;

const manifest = (over: Partial<ExportManifest> = {}): ExportManifest => ({
  job: job('2026-12-01T10:00:00Z'),
  cursor: '100',
  shards: [],
  attempts: [],
  invocations: [],
  failures: [],
  events: [],
  members: [{ user_id: 'u', email: 'u@example.test' }],
  verification: null,
  ...over,
});
const changes = (over: Partial<ExportManifestChangesRead> = {}): ExportManifestChangesRead => ({
  job: job('2026-12-01T10:00:01Z'),
  since: '100',
  cursor: '120',
  shards: [],
  attempts: [],
  invocations: [],
  failures: [],
  events: [],
  ...over,
});

describe('mergeManifestChanges', () => {
  it('adds new shards in file order, replaces a rewritten one by its number, and keeps the rest as they were', () => {
    const lane1 = shard(1, 1, 1);
    const lane2 = shard(2, 2, 1);
    const current = manifest({ shards: [lane1, lane2] });
    const rerun = shard(2, 2, 1, { attempt: 2 });
    const merged = mergeManifestChanges(
      current,
      changes({ shards: [shard(3, 1, 2), rerun, shard(4, 2, 2), shard(5, 1, 3)] }),
    );
    expect(merged.shards.map((s) => [s.lane, s.lane_seq, s.shard_no, s.attempt])).toEqual([
      [1, 1, 1, 1],
      [1, 2, 3, 1],
      [1, 3, 5, 1],
      [2, 1, 2, 2],
      [2, 2, 4, 1],
    ]);
    expect(merged.shards[0]).toBe(lane1);
    expect(merged.shards[3]).toBe(rerun);
    // The cache it came from is not touched.
    expect(current.shards).toEqual([lane1, lane2]);
  });

  it('keeps the identity of every list nothing changed in', () => {
    const current = manifest({
      shards: [shard(1, 1, 1)],
      attempts: [attempt(1, 1)],
      invocations: [invocation('a', '2026-12-01T10:00:00+00:00')],
      failures: [failure(7)],
      events: [event(3)],
    });
    const merged = mergeManifestChanges(current, changes({ failures: [failure(7)], events: [event(3)] }));
    expect(merged.shards).toBe(current.shards);
    expect(merged.attempts).toBe(current.attempts);
    expect(merged.invocations).toBe(current.invocations);
    expect(merged.failures).toBe(current.failures);
    expect(merged.events).toBe(current.events);
  });

  it('merges replaced attempts by shard and attempt, and invocations by id in the order they started', () => {
    const first = invocation('b', '2026-12-01T10:00:00+00:00');
    const current = manifest({
      attempts: [attempt(4, 1)],
      invocations: [first, invocation('a', '2026-12-01T10:00:05+00:00')],
    });
    const merged = mergeManifestChanges(
      current,
      changes({
        attempts: [attempt(2, 1), attempt(4, 1), attempt(4, 2)],
        invocations: [
          invocation('a', '2026-12-01T10:00:05+00:00', { ended_at: '2026-12-01T10:00:09Z', shards_written: 3 }),
          invocation('c', '2026-12-01T10:00:09.0005+00:00'),
          invocation('0', '2026-12-01T10:00:09.0005+00:00'),
          // Half a millisecond earlier: Postgres orders by the microsecond.
          invocation('d', '2026-12-01T10:00:09.000012+00:00'),
        ],
      }),
    );
    expect(merged.attempts.map((a) => [a.shard_no, a.attempt])).toEqual([
      [2, 1],
      [4, 1],
      [4, 2],
    ]);
    expect(merged.invocations.map((i) => [i.id, i.shards_written])).toEqual([
      ['b', 0],
      ['a', 3],
      ['d', 0],
      ['0', 0],
      ['c', 0],
    ]);
    expect(merged.invocations[0]).toBe(first);
  });

  it('takes failures and events as they come, whole: a withdrawn failure leaves the page', () => {
    const current = manifest({ failures: [failure(1), failure(2)], events: [event(1)] });
    const merged = mergeManifestChanges(current, changes({ failures: [failure(1)], events: [event(1), event(2)] }));
    expect(merged.failures.map((f) => f.id)).toEqual([1]);
    expect(merged.events.map((e) => e.id)).toEqual([1, 2]);
  });

  it('moves the cursor on, keeps the newer job row, the colleagues and a storage check', () => {
    const current = manifest({
      job: job('2026-12-01T10:00:05Z', 9),
      verification: [{ shardNo: 1, state: 'ok' }],
    });
    const merged = mergeManifestChanges(current, changes({ job: job('2026-12-01T10:00:01Z', 4), cursor: '130' }));
    expect(merged.cursor).toBe('130');
    expect(merged.job.shards_written).toBe(9);
    expect(merged.members).toBe(current.members);
    expect(merged.verification).toBe(current.verification);
    expect(mergeManifestChanges(current, changes({ job: job('2026-12-01T10:00:06Z', 10) })).job.shards_written).toBe(
      10,
    );
  });

  it('ends where one whole read ends, however the changes were cut', () => {
    // A small model of the server: every write stamps the row with a growing number; a read returns the
    // rows stamped at or after its `since`, and as cursor the next stamp (nothing is left open).
    let stamp = 0;
    const rows = new Map<number, ExportShard & { stamp: number }>();
    const write = (no: number, lane: number, seq: number, over: Partial<ExportShard> = {}) =>
      rows.set(no, { ...shard(no, lane, seq, over), stamp: stamp++ });
    const read = (since: number): ExportManifestChangesRead =>
      changes({
        since: String(since),
        cursor: String(stamp),
        shards: [...rows.values()].filter((r) => r.stamp >= since),
      });
    const whole = () => [...rows.values()].sort((a, b) => a.lane - b.lane || a.lane_seq - b.lane_seq);

    let page = manifest({ cursor: '0' });
    let no = 0;
    const next: Record<number, number> = { 1: 1, 2: 1, 3: 1 };
    for (let step = 0; step < 60; step += 1) {
      if (step % 11 === 10) {
        // A re-run rewrites a shard written earlier.
        const old = rows.get(1 + (step % no))!;
        write(old.shard_no, old.lane, old.lane_seq, { attempt: old.attempt + 1 });
      } else {
        const lane = ((step * 7) % 3) + 1;
        write(++no, lane, next[lane]!++);
      }
      if (step % 4 === 0) page = mergeManifestChanges(page, read(Number(page.cursor)));
    }
    page = mergeManifestChanges(page, read(Number(page.cursor)));
    expect(page.shards).toEqual(whole());
  });
});
