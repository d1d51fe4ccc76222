import type { ExportJob, ExportShard, ExportStatus } from '@/lib/exports/types';
import type { LanePosition, UnwrittenLaneShard } from './lane-positions';

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
  /**
   * Cells past the manifest that stand for a known lane shard (a lane's give-up, or the shard it is
   * retrying), by shard number: their history is that lane's tries at that place.
   */
  positions: ReadonlyMap<number, LanePosition>;
};

export const stateCode = (state: ShardState): number => SHARD_STATES.indexOf(state);
export const stateAt = (model: ShardMapModel, shardNo: number): ShardState =>
  SHARD_STATES[model.states[shardNo - 1] ?? stateCode('pending')] ?? 'pending';

/** The cell past the manifest that stands for a lane's shard, if the map placed one there. */
export function cellOfPosition(model: ShardMapModel, position: LanePosition): number | null {
  for (const [no, p] of model.positions) if (p.lane === position.lane && p.laneSeq === position.laneSeq) return no;
  return null;
}

/**
 * Shards the job expects. Each lane ends on its own part-filled shard, so the count is per lane: a
 * finished lane's shards as written, an unfinished one's estimate in whole pages (never fewer than it has
 * written). ceil(estimated_rows / page_size) alone undercounts a multi-lane export by up to a shard a lane
 * (26,800 records in 4 lanes of 100-record pages: 268 by the job's estimate, 269 written when one lane
 * holds 6,750). Without lanes (an older row), from the job's estimate.
 */
export function expectedShards(
  job: Pick<ExportJob, 'estimated_rows' | 'page_size'> & Partial<Pick<ExportJob, 'lanes'>>,
): number {
  if (job.page_size <= 0) return 0;
  const pages = (rows: number) => Math.ceil(Math.max(0, rows) / job.page_size);
  if (!job.lanes?.length) return pages(job.estimated_rows);
  return job.lanes.reduce(
    (sum, lane) => sum + (lane.status === 'completed' ? lane.shards : Math.max(lane.shards, pages(lane.estimated))),
    0,
  );
}

/**
 * Derives every shard's state from the live job row and the (possibly older) manifest.
 *
 * The job row arrives over Realtime a few times a second; the manifest is refetched throttled, so it
 * may trail the row. Shards the row counts but the manifest does not list yet are attributed first to
 * queued re-runs (the worker re-runs before it continues the tail) and then to the tail: shard numbers
 * are given out in the order shards are recorded, whatever lane writes them, so the next numbers are the
 * next shards. One shard is being written per running lane. The next manifest read replaces the guess.
 *
 * `unwritten` (from the manifest's failures) places the lanes' unrecorded shards on the cells after the
 * known ones, in lane order: on a finished job every lane's give-up is a failed cell (then the shards
 * lanes were retrying when it stopped, not written); on a running one they go on the cells being written.
 * Without it (no manifest yet) a failed job shows one failed cell after the last written shard.
 */
export function deriveShardStates(input: {
  job: ShardMapJob;
  shards: ReadonlyArray<Pick<ExportShard, 'shard_no' | 'status'>> | null | undefined;
  /** Shards that storage verification found missing or damaged. */
  damaged?: ReadonlySet<number>;
  unwritten?: readonly UnwrittenLaneShard[];
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
  const working = job.status === 'running' || job.status === 'retrying';
  const writing = Math.max(1, job.lanes?.filter((l) => l.status === 'running').length ?? 1);
  const tail = tailCells({
    active,
    working,
    writing,
    rerunsLeft: rerunsLeft.length,
    failedOnTail,
    unwritten: input.unwritten ?? [],
  });

  let total = job.tail_complete ? knownMax : Math.max(expectedShards(job), knownMax);
  if (!active) total = Math.max(total, knownMax + tail.length);

  const states = new Uint8Array(total);
  const positions = new Map<number, LanePosition>();
  const firstRerunLeft = rerunsLeft[0];

  for (let no = 1; no <= total; no += 1) {
    let state: ShardState;
    const inManifest = manifest.get(no);
    const cell = tail[no - knownMax - 1];
    if (inManifest === 'written') {
      state = input.damaged?.has(no) ? 'failed' : 'done';
    } else if (inManifest === 'rerun_requested') {
      if (!active) state = 'failed';
      else if (rerunsDone.has(no)) state = 'done';
      else state = working && no === firstRerunLeft ? 'running' : 'rerun';
    } else if (no <= knownMax) {
      state = 'done';
    } else if (cell) {
      state = cell.state;
      if (cell.position) positions.set(no, cell.position);
    } else {
      state = active ? 'pending' : 'skipped';
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
  return { states, total, counts, firstFailed, positions };
}

type TailCell = { state: ShardState; position: LanePosition | null };

/** The cells right after the known shards that are not plain pending / not written, in order. */
function tailCells(input: {
  active: boolean;
  working: boolean;
  writing: number;
  rerunsLeft: number;
  failedOnTail: boolean;
  unwritten: readonly UnwrittenLaneShard[];
}): TailCell[] {
  const { unwritten } = input;
  if (input.active) {
    // Re-runs come first: while one is left, the tail is not being written.
    if (!input.working || input.rerunsLeft > 0) return [];
    return Array.from({ length: input.writing }, (_, i) => {
      const lane = unwritten[i];
      return { state: 'running', position: lane ? { lane: lane.lane, laneSeq: lane.laneSeq } : null };
    });
  }
  const at = (u: UnwrittenLaneShard) => ({ lane: u.lane, laneSeq: u.laneSeq });
  const gaveUp: TailCell[] = unwritten.filter((u) => u.gaveUp).map((u) => ({ state: 'failed', position: at(u) }));
  const stopped: TailCell[] = unwritten.filter((u) => !u.gaveUp).map((u) => ({ state: 'skipped', position: at(u) }));
  if (gaveUp.length === 0 && input.failedOnTail) gaveUp.push({ state: 'failed', position: null });
  return [...gaveUp, ...stopped];
}

/** Shard numbers (1-based) in the given states, in order: the legend's filter. */
export function shardsInStates(model: ShardMapModel, only: ReadonlySet<ShardState> | null): number[] | null {
  if (!only || only.size === 0) return null;
  const codes = new Set([...only].map(stateCode));
  const out: number[] = [];
  for (let i = 0; i < model.total; i += 1) if (codes.has(model.states[i] ?? -1)) out.push(i + 1);
  return out;
}
