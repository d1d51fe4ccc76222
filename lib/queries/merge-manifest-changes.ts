import type { ExportManifestChangesRead, ExportManifestRead } from '@/lib/exports/read-export-manifest';
import type { ExportInvocation, ExportShard, ExportShardAttempt } from '@/lib/exports/types';
import { newerJob } from './export-cache';

/** What the page caches of a manifest: the read's rows and cursor (null: read it whole next time). */
export type ManifestRows = Omit<ExportManifestRead, 'cursor' | 'members'> & { cursor: string | null };

/**
 * Rows that changed, put over the cached ones: a row with the key of a cached one replaces it (the
 * answer is newer than the cache: reads of one page never overlap, see exportManifestQueryOptions), a
 * new one joins, and the list is kept in its order. Unchanged rows keep their identity, and a list
 * nothing changed in is returned as it was, so memoised views of it are not recomputed.
 */
function upsert<T>(
  current: readonly T[],
  changed: readonly T[],
  key: (row: T) => string | number,
  compare: (a: T, b: T) => number,
): T[] {
  if (changed.length === 0) return current as T[];
  const index = new Map(current.map((row, i) => [key(row), i]));
  const next = current.slice();
  let added = false;
  for (const row of changed) {
    const i = index.get(key(row));
    if (i === undefined) {
      index.set(key(row), next.length);
      next.push(row);
      added = true;
    } else {
      next[i] = row;
    }
  }
  return added ? next.sort(compare) : next;
}

/**
 * A list that comes whole: the cached one while it holds the same rows (failures and events are never
 * updated, only added — and a failure withdrawn), so an unchanged list keeps its identity.
 */
function whole<T extends { id: number }>(current: readonly T[], incoming: T[]): T[] {
  return current.length === incoming.length && current.every((row, i) => row.id === incoming[i]!.id)
    ? (current as T[])
    : incoming;
}

/** File order: lane, then place in the lane (as the server sends the whole manifest). */
const fileOrder = (a: ExportShard, b: ExportShard) => a.lane - b.lane || a.lane_seq - b.lane_seq;
const attemptOrder = (a: ExportShardAttempt, b: ExportShardAttempt) => a.shard_no - b.shard_no || a.attempt - b.attempt;
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
/**
 * The server's `order by started_at, id`. Timestamps are compared as the text Postgres wrote them (one
 * time zone, one format, trailing zeros of the fraction dropped — so text order is time order), keeping
 * the microseconds that Date.parse would cut: two invocations started in the same millisecond stay in the
 * server's order. Lower-case uuids compare as text in their byte order.
 */
const invocationOrder = (a: ExportInvocation, b: ExportInvocation) =>
  byText(a.started_at, b.started_at) || byText(a.id, b.id);

/**
 * The cached manifest with what changed since its cursor (GET /api/exports/:id/shards?since=<cursor>):
 * shards, replaced attempts and invocations merged by key; failures and events, which always come
 * whole, replaced; the job row kept if newer; the cursor moved on. Everything else the cache holds
 * (colleagues, a storage check) stays. `changes` must answer `since = current.cursor`: then nothing
 * written after the cached read is missing from the result.
 */
export function mergeManifestChanges<M extends ManifestRows>(current: M, changes: ExportManifestChangesRead): M {
  return {
    ...current,
    job: newerJob(current.job, changes.job),
    cursor: changes.cursor,
    shards: upsert(current.shards, changes.shards, (s) => s.shard_no, fileOrder),
    attempts: upsert(current.attempts, changes.attempts, (a) => `${a.shard_no}:${a.attempt}`, attemptOrder),
    invocations: upsert(current.invocations, changes.invocations, (i) => i.id, invocationOrder),
    failures: whole(current.failures, changes.failures),
    events: whole(current.events, changes.events),
  };
}
