import type { ExportManifest } from '@/lib/queries/export-manifest-query';
import type { LanePosition } from './lane-positions';

/** One try at writing a shard, whatever became of it. */
export type ShardAttemptEntry = {
  at: string;
  /** The invocation that made the try (null: a failure recorded while the lane had no holder). */
  invocationId: string | null;
  lane: number;
  run: number | null;
  outcome: 'written' | 'replaced' | 'retrying' | 'failed' | 'requeued';
  /** "attempt 2 of 5" for failures (the lane's count); the manifest's attempt number for writes. */
  attempt: number | null;
  maxAttempts: number | null;
  errorKind: string | null;
  error: string | null;
  /** Failures that retry: when the next try is due. */
  nextRetryAt: string | null;
  /** Writes: what was written. */
  rows: number | null;
  bytes: number | null;
  sha256: string | null;
  replacedBecause: string | null;
};

type Manifest = Pick<ExportManifest, 'shards' | 'attempts' | 'failures'>;

/**
 * Every try at one shard, oldest first: the writes (the current one and every replaced one) and the
 * failed attempts, of every run. Failures name a shard by (lane, lane_seq) — a tail shard has no job-wide
 * number until it is recorded — so a written shard takes the failures of its own (lane, lane_seq), and a
 * cell the manifest does not list yet takes those of the lane shard the map placed there (`position`,
 * from ShardMapModel.positions); a cell with no position has no history.
 */
export function shardHistory(
  shardNo: number,
  position: LanePosition | null,
  manifest: Manifest | undefined,
): ShardAttemptEntry[] {
  if (!manifest) return [];
  const shard = manifest.shards.find((s) => s.shard_no === shardNo);
  const entries: ShardAttemptEntry[] = [];
  const blank = {
    run: null,
    attempt: null,
    maxAttempts: null,
    errorKind: null,
    error: null,
    nextRetryAt: null,
    rows: null,
    bytes: null,
    sha256: null,
    replacedBecause: null,
  };

  const own = shard ? { lane: shard.lane, laneSeq: shard.lane_seq } : position;
  const failures = own ? manifest.failures.filter((f) => f.lane === own.lane && f.lane_seq === own.laneSeq) : [];
  for (const f of failures) {
    entries.push({
      ...blank,
      at: f.failed_at,
      invocationId: f.invocation_id,
      lane: f.lane,
      run: f.run_no,
      outcome: f.outcome,
      attempt: f.attempt,
      maxAttempts: f.max_attempts,
      errorKind: f.error_kind,
      error: f.error,
      nextRetryAt: f.outcome === 'retrying' ? f.next_retry_at : null,
    });
  }

  if (shard) {
    for (const a of manifest.attempts.filter((x) => x.shard_no === shardNo)) {
      entries.push({
        ...blank,
        at: a.written_at,
        invocationId: a.invocation_id,
        lane: shard.lane,
        outcome: 'replaced',
        attempt: a.attempt,
        rows: a.rows,
        bytes: a.bytes,
        sha256: a.sha256,
        replacedBecause: a.replaced_because,
      });
    }
    entries.push({
      ...blank,
      at: shard.written_at,
      invocationId: shard.invocation_id,
      lane: shard.lane,
      outcome: 'written',
      attempt: shard.attempt,
      rows: shard.rows,
      bytes: shard.bytes,
      sha256: shard.sha256,
    });
  }
  return entries.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

export const ATTEMPT_OUTCOME_LABEL: Record<ShardAttemptEntry['outcome'], string> = {
  written: 'Written (current)',
  replaced: 'Written, later replaced',
  retrying: 'Failed, retried',
  failed: 'Failed, gave up',
  requeued: 'Worker killed, requeued',
};
