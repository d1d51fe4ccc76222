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
 * The manifest of a job (in file order: lane, then place in the lane), the replaced attempts, the failed
 * attempts, the invocation timeline and the events: everything a shard's history and the export's
 * activity timeline are drawn from.
 */
export async function listShards(client: TypedSupabaseClient, jobId: string) {
  const [shards, attempts, invocations, failures, events] = await Promise.all([
    readAll<ExportShard>((from, to) =>
      client
        .from('export_shards')
        .select('*')
        .eq('job_id', jobId)
        .order('lane')
        .order('lane_seq')
        .range(from, to)
        // The generated type has `status: string`; the check constraint narrows it.
        .overrideTypes<ExportShard[], { merge: false }>(),
    ),
    readAll<ExportShardAttempt>((from, to) =>
      client
        .from('export_shard_attempts')
        .select('*')
        .eq('job_id', jobId)
        .order('shard_no')
        .order('attempt')
        .range(from, to),
    ),
    readAll<ExportInvocation>((from, to) =>
      client
        .from('export_invocations')
        .select('*')
        .eq('job_id', jobId)
        .order('started_at')
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
  return { shards, attempts, invocations, failures, events };
}
