import { AppError } from '@/lib/api/app-error';
import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';
import type { ExportEvent, ExportInvocation, ExportShard, ExportShardAttempt, ExportShardFailure } from './types';

/** PostgREST pages: read the manifest in slices so a 20,000-shard job needs no special server limits. */
const PAGE = 1000;

async function readAll<T>(
  fetchPage: (from: number, to: number) => PromiseLike<{ data: T[] | null; error: { message: string } | null }>,
) {
  const rows: T[] = [];
  for (let from = 0; ; from += PAGE) {
    const { data, error } = await fetchPage(from, from + PAGE - 1);
    if (error) throw new Error(`Reading the manifest failed: ${error.message}`);
    rows.push(...(data ?? []));
    if (!data || data.length < PAGE) return rows;
  }
}

/**
 * The cursor of a read that starts now (`export_change_horizon()`, migration 20261209000200): every row
 * this read cannot see was written by a transaction at or after it. Digits: a bigint, never rounded.
 */
async function changeHorizon(client: TypedSupabaseClient): Promise<string> {
  const { data, error } = await client.rpc('export_change_horizon');
  if (error) throw new Error(`Reading the manifest's change horizon failed: ${error.message}`);
  return String(data);
}

export type ShardListing = {
  /** What to pass as `since` next time to get only what changed after this read. */
  cursor: string;
  shards: ExportShard[];
  attempts: ExportShardAttempt[];
  invocations: ExportInvocation[];
  failures: ExportShardFailure[];
  events: ExportEvent[];
};

/**
 * The manifest of a job (in file order: lane, then place in the lane), the replaced attempts, the failed
 * attempts, the invocation timeline and the events: everything a shard's history and the export's
 * activity timeline are drawn from — with the cursor of this read.
 *
 * With `since` (a cursor an earlier read returned), shards, attempts and invocations are only the rows
 * written at or after it: whatever changed since that read, each row as it stands now (a row may come
 * again; its key says which one it replaces). Failures and events always come whole: they are a handful
 * a run, and a failure can be withdrawn, which a cursor cannot show. So a live page reads what changed,
 * not the whole manifest again.
 */
export async function listShards(
  client: TypedSupabaseClient,
  jobId: string,
  since: string | null = null,
): Promise<ShardListing> {
  // First: the statements below all see at least what this snapshot saw (see changeHorizon).
  const cursor = await changeHorizon(client);
  // Horizons only grow: a cursor beyond this one was never given out here (another database, or a restore).
  if (since !== null && BigInt(since) > BigInt(cursor)) {
    throw new AppError(
      'unprocessable',
      `since (${since}) is ahead of this database's changes (${cursor}): read the manifest without since.`,
      { field: 'since' },
    );
  }
  // The rows written at or after `since`, served by the table's (job_id, change_xid) index.
  const changed = <Q extends { filter: (column: 'change_xid', operator: 'gte', value: string) => Q }>(query: Q) =>
    since === null ? query : query.filter('change_xid', 'gte', since);
  const [shards, attempts, invocations, failures, events] = await Promise.all([
    readAll<ExportShard>((from, to) =>
      changed(client.from('export_shards').select('*').eq('job_id', jobId))
        .order('lane')
        .order('lane_seq')
        .range(from, to)
        // The generated type has `status: string`; the check constraint narrows it.
        .overrideTypes<ExportShard[], { merge: false }>(),
    ),
    readAll<ExportShardAttempt>((from, to) =>
      changed(client.from('export_shard_attempts').select('*').eq('job_id', jobId))
        .order('shard_no')
        .order('attempt')
        .range(from, to),
    ),
    readAll<ExportInvocation>((from, to) =>
      changed(client.from('export_invocations').select('*').eq('job_id', jobId))
        .order('started_at')
        .order('id')
        .range(from, to)
        .overrideTypes<ExportInvocation[], { merge: false }>(),
    ),
    readAll<ExportShardFailure>((from, to) =>
      client
        .from('export_shard_failures')
        .select('*')
        .eq('job_id', jobId)
        .order('id')
        .range(from, to)
        .overrideTypes<ExportShardFailure[], { merge: false }>(),
    ),
    readAll<ExportEvent>((from, to) =>
      client
        .from('export_events')
        .select('*')
        .eq('job_id', jobId)
        .order('id')
        .range(from, to)
        .overrideTypes<ExportEvent[], { merge: false }>(),
    ),
  ]);
  return { cursor, shards, attempts, invocations, failures, events };
}
