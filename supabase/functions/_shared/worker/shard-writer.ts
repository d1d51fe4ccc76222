import { ExportError } from '../export-error.ts';
import { keyArg } from '../worker-rpc-args.ts';
import type { Rerun } from '../worker-rpc-results.ts';
import type { HandOffPolicy, HandOffReason } from './hand-off-policy.ts';
import type { HeldLease } from './held-lease.ts';
import type { PreparedShard } from './lane-page.ts';
import type { WorkerClock, WorkerPorts } from './ports.ts';
import { callState } from './state-call.ts';

/**
 * Writes one shard the way design invariant 3 asks: the object first, then its manifest row. `upload`
 * writes the gzip member under this lease's generation (nothing references it yet); `record` commits the
 * row in the same call that renews the lease and says whether the lane goes on. A record the lane refuses
 * removes the object it was for, so a refused shard never stays in storage.
 */

/** Where a shard goes in its lane: its place, its key range (after, last], and the re-run it replaces. */
export type ShardPlace = { laneSeq: number; afterKey: bigint | null; lastKey: bigint; rerun?: Rerun };

/** A shard whose object is written and not yet recorded. */
export type UploadedShard = { key: string; shard: PreparedShard; place: ShardPlace };

/** Why a lane stops before its keys are exhausted: a hand-off, a stop the database says, or a failure. */
export type LaneStop =
  | { kind: 'hand_off'; reason: HandOffReason }
  | { kind: 'stopped'; outcome: 'cancelled' | 'lease_lost' | 'stopped' }
  | { kind: 'failed'; error: ExportError };

/** What a record brings: the shard is in the manifest and the lane goes on, or the lane stops. */
export type RecordAnswer = { kind: 'recorded' } | LaneStop;

export type ShardWriterDeps = {
  ports: WorkerPorts;
  lease: Pick<HeldLease, 'args' | 'shardKey' | 'renewed'>;
  policy: Pick<HandOffPolicy, 'pageRecorded'>;
  clock: WorkerClock;
  /** Job-row progress is published at most this often (worker-settings.ts). */
  progressIntervalMs: number;
};

export class ShardWriter {
  /** Shards and rows this invocation recorded, and the peak V8 heap seen after a record. */
  shardsWritten = 0;
  rowsWritten = 0;
  peakHeapBytes: number;

  constructor(private readonly deps: ShardWriterDeps) {
    this.peakHeapBytes = deps.ports.heapUsedBytes();
  }

  /** Uploads a shard's gzip member; nothing references it yet. Throws ExportError('storage_failed'). */
  async upload(shard: PreparedShard, place: ShardPlace): Promise<UploadedShard> {
    const key = this.deps.lease.shardKey(place.laneSeq);
    await this.deps.ports.uploadShard(key, shard.gzipped.bytes, 'application/gzip');
    return { key, shard, place };
  }

  /**
   * Records an uploaded shard in the manifest (`pass`: and passes the lease to the waiting heir). When the
   * lane says no, the object just written is referenced by nothing: it is removed. Throws when the call
   * fails (then nobody knows whether the row was committed, and the object stays for the clean-up).
   */
  async record({ key, shard, place }: UploadedShard, pass: boolean, fetchStartedAt: number): Promise<RecordAnswer> {
    const { ports, clock } = this.deps;
    const { encoded, sha256, gzipped, gzipSha256 } = shard;
    const recorded = await callState(ports, 'record_export_shard', {
      ...this.deps.lease.args,
      p_shard_no: place.rerun?.shard_no ?? null,
      p_lane_seq: place.laneSeq,
      p_key_after: keyArg(place.afterKey),
      p_key_last: keyArg(place.lastKey),
      p_rows: encoded.rows,
      p_bytes: encoded.bytes.length,
      p_header_bytes: encoded.headerBytes,
      p_sha256: sha256,
      p_storage_key: key,
      p_duration_ms: clock.now() - fetchStartedAt,
      p_progress_interval_ms: this.deps.progressIntervalMs,
      p_pass_to_heir: pass,
      p_encoding: 'gzip',
      p_gzip_bytes: gzipped.bytes.length,
      p_gzip_header_bytes: gzipped.headerBytes,
      p_gzip_sha256: gzipSha256,
    });
    // Sampled while this page's documents and bytes (and the next page, prefetched) are reachable.
    this.peakHeapBytes = Math.max(this.peakHeapBytes, ports.heapUsedBytes());
    switch (recorded.outcome) {
      case 'recorded':
      case 'passed':
      case 'yielded':
        this.deps.lease.renewed();
        this.shardsWritten += 1;
        this.rowsWritten += encoded.rows;
        this.deps.policy.pageRecorded(clock.now() - fetchStartedAt, recorded.heir_waiting === true);
        if (recorded.outcome === 'recorded') return { kind: 'recorded' };
        // Recorded, and the lease went with it: to the heir, or back to the queue for a lane more deserving.
        return {
          kind: 'hand_off',
          reason: recorded.outcome === 'passed' ? { by: 'passed' } : { by: 'yielded', kick: recorded.kick ?? [] },
        };
    }
    // Not recorded: the object we just wrote is referenced by nothing.
    await ports.removeObjects([key]);
    if (recorded.outcome === 'source_changed') {
      const detail = recorded.detail ?? 'The source changed under a re-run.';
      return { kind: 'failed', error: new ExportError('source_changed', detail, false) };
    }
    return { kind: 'stopped', outcome: recorded.outcome === 'cancel_requested' ? 'cancelled' : recorded.outcome };
  }
}
