import type { ExportJob, ExportShard, ExportStatus } from '@/lib/exports/types';

/**
 * What a cell of the shard map shows. Order matters: it is the legend's order and each state's
 * numeric code in the `Uint8Array` the map keeps (one byte a shard, so 20,000 shards cost 20 kB).
 */
export const SHARD_STATES = ['done', 'running', 'rerun', 'pending', 'failed', 'skipped'] as const;
export type ShardState = (typeof SHARD_STATES)[number];

export const SHARD_STATE_LABEL: Record<ShardState, string> = {
  done: 'done',
  running: 'writing',
  rerun: 're-run queued',
  pending: 'pending',
  failed: 'failed',
  skipped: 'not written',
};

const ACTIVE_STATUSES: readonly ExportStatus[] = ['queued', 'running', 'retrying'];
export function isActive(status: ExportStatus): boolean {
  return ACTIVE_STATUSES.includes(status);
}

export type ShardMapJob = Pick<
  ExportJob,
  'status' | 'shards_written' | 'estimated_rows' | 'page_size' | 'tail_complete' | 'cancel_requested_at'
> &
  Partial<Pick<ExportJob, 'lanes'>>;

export type ShardMapModel = {
  /** states[i] is the SHARD_STATES index of shard i + 1. */
  states: Uint8Array;
  total: number;
  counts: Record<ShardState, number>;
  /** Lowest failed shard number, or null. */
  firstFailed: number | null;
};

export const stateCode = (state: ShardState): number => SHARD_STATES.indexOf(state);
export const stateAt = (model: ShardMapModel, shardNo: number): ShardState =>
  SHARD_STATES[model.states[shardNo - 1] ?? stateCode('pending')] ?? 'pending';

/** Shards the job expects from its estimate: ceil(estimated_rows / page_size). */
export function expectedShards(job: Pick<ExportJob, 'estimated_rows' | 'page_size'>): number {
  return job.page_size > 0 ? Math.ceil(Math.max(0, job.estimated_rows) / job.page_size) : 0;
}

/**
 * Derives every shard's state from the live job row and the (possibly older) manifest.
 *
 * The job row arrives over Realtime a few times a second; the manifest is refetched throttled, so it
 * may trail the row. Shards the row counts but the manifest does not list yet are attributed first to
 * queued re-runs (the worker re-runs before it continues the tail) and then to the tail: shard numbers
 * are given out in the order shards are recorded, whatever lane writes them, so the next numbers are the
 * next shards. One shard is being written per running lane. The next manifest read replaces the guess.
 */
export function deriveShardStates(input: {
  job: ShardMapJob;
  shards: ReadonlyArray<Pick<ExportShard, 'shard_no' | 'status'>> | null | undefined;
  /** Shards that storage verification found missing or damaged. */
  damaged?: ReadonlySet<number>;
}): ShardMapModel {
  const { job } = input;
  const shards = input.shards ?? [];
  const active = isActive(job.status);

  const manifest = new Map<number, ExportShard['status']>();
  let maxNo = 0;
  let manifestWritten = 0;
  for (const s of shards) {
    manifest.set(s.shard_no, s.status);
    if (s.shard_no > maxNo) maxNo = s.shard_no;
    if (s.status === 'written') manifestWritten += 1;
  }
  const reruns = shards
    .filter((s) => s.status === 'rerun_requested')
    .map((s) => s.shard_no)
    .sort((a, b) => a - b);

  let extra = Math.max(0, job.shards_written - manifestWritten);
  const rerunsDone = new Set<number>();
  if (active) {
    for (const n of reruns) {
      if (extra === 0) break;
      rerunsDone.add(n);
      extra -= 1;
    }
  }
  const rerunsLeft = reruns.filter((n) => !rerunsDone.has(n));
  const knownMax = maxNo + extra;

  // A failed job whose re-runs are all written failed on the tail: on the shard after the last one.
  const failedOnTail = job.status === 'failed' && !job.tail_complete && rerunsLeft.length === 0;
  let total = job.tail_complete ? knownMax : Math.max(expectedShards(job), knownMax);
  if (failedOnTail) total = Math.max(total, knownMax + 1);

  const states = new Uint8Array(total);
  const working = job.status === 'running' || job.status === 'retrying';
  const writing = Math.max(1, job.lanes?.filter((l) => l.status === 'running').length ?? 1);
  const firstRerunLeft = rerunsLeft[0];

  for (let no = 1; no <= total; no += 1) {
    let state: ShardState;
    const inManifest = manifest.get(no);
    if (inManifest === 'written') {
      state = input.damaged?.has(no) ? 'failed' : 'done';
    } else if (inManifest === 'rerun_requested') {
      if (!active) state = 'failed';
      else if (rerunsDone.has(no)) state = 'done';
      else state = working && no === firstRerunLeft ? 'running' : 'rerun';
    } else if (no <= knownMax) {
      state = 'done';
    } else if (active) {
      state = working && rerunsLeft.length === 0 && no <= knownMax + writing ? 'running' : 'pending';
    } else if (failedOnTail && no === knownMax + 1) {
      state = 'failed';
    } else {
      state = 'skipped';
    }
    states[no - 1] = stateCode(state);
  }

  const counts = Object.fromEntries(SHARD_STATES.map((s) => [s, 0])) as Record<ShardState, number>;
  let firstFailed: number | null = null;
  for (let i = 0; i < total; i += 1) {
    const state = SHARD_STATES[states[i] ?? 0] ?? 'pending';
    counts[state] += 1;
    if (state === 'failed' && firstFailed === null) firstFailed = i + 1;
  }
  return { states, total, counts, firstFailed };
}

/** Shard numbers (1-based) in the given states, in order: the legend's filter. */
export function shardsInStates(model: ShardMapModel, only: ReadonlySet<ShardState> | null): number[] | null {
  if (!only || only.size === 0) return null;
  const codes = new Set([...only].map(stateCode));
  const out: number[] = [];
  for (let i = 0; i < model.total; i += 1) if (codes.has(model.states[i] ?? -1)) out.push(i + 1);
  return out;
}
