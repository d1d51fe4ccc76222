import type { ExportError } from '../export-error.ts';
import { laneFolder, shardStorageKey } from '../shard-key.ts';
import type { Claim } from '../worker-rpc-results.ts';
import type { WorkerClock, WorkerPorts } from './ports.ts';
import { callState } from './state-call.ts';

/** The lease an invocation holds: every state-machine call after the claim carries it. */
export type LeaseArgs = { p_job_id: string; p_lane_no: number; p_invocation_id: string; p_generation: number };

export type ClaimedLease = Extract<Claim, { claimed: true }>;

/** Why an invocation ended, as its row in export_invocations says. */
export type InvocationOutcome = 'handoff' | 'completed' | 'cancelled' | 'declined' | 'lease_lost' | 'stopped' | 'error';

export type HeldLeaseDeps = {
  ports: WorkerPorts;
  leaseSeconds: number;
  clock: WorkerClock;
  /** The isolate's CPU since the request arrived (the platform's CPU limit counts from there). */
  cpuUsedMs: () => number;
};

/**
 * The lease on one lane, from the claim to the invocation's end: the arguments every call carries, the
 * storage keys this generation writes, the idle heartbeat that keeps the lease while one page is slow,
 * the removal of what dead holders left, and the call that ends the invocation with its figures.
 *
 * Wall time counts from the lease (an heir's wait for the baton is not its work).
 */
export class HeldLease {
  readonly args: LeaseArgs;
  /** How log lines name this lane. */
  readonly tag: string;
  readonly startedAt: number;
  private lastRenewedAt: number;
  private leftoversRemoved: Promise<void> = Promise.resolve();
  private stopHeartbeat: () => void = () => {};

  constructor(
    private readonly claim: ClaimedLease,
    private readonly deps: HeldLeaseDeps,
  ) {
    this.startedAt = deps.clock.now();
    this.args = {
      p_job_id: claim.job.id,
      p_lane_no: claim.lane.lane_no,
      p_invocation_id: claim.invocation_id,
      p_generation: claim.generation,
    };
    this.tag = `job ${claim.job.id} lane ${claim.lane.lane_no}`;
    this.lastRenewedAt = deps.clock.now();
  }

  get invocationId(): string {
    return this.claim.invocation_id;
  }

  /** Wall time since the lease was taken. */
  elapsedMs(): number {
    return this.deps.clock.now() - this.startedAt;
  }

  /**
   * The storage key of the lane's shard at `laneSeq`, written under a generation (this lease's unless
   * said): a pure function of job metadata (shard-key.ts).
   */
  shardKey(laneSeq: number, generation = this.claim.generation): string {
    return shardStorageKey({
      organisationId: this.claim.job.organisation_id,
      jobId: this.claim.job.id,
      lane: this.claim.lane.lane_no,
      laneSeq,
      generation,
      format: this.claim.job.format,
      encoding: 'gzip',
    });
  }

  /** The folder that holds the lane's objects (listed once, when the lane ends). */
  laneFolder(): string {
    return laneFolder(this.claim.job.organisation_id, this.claim.job.id, this.claim.lane.lane_no);
  }

  /**
   * Starts holding: removes what holders killed mid-page may have uploaded and never recorded, and keeps
   * the lease alive while a page is slow.
   */
  begin(): void {
    this.leftoversRemoved = this.deps.ports.removeObjects(this.deadHoldersKeys());
    // An idle heartbeat keeps the lease while one page is slow (a retried request, a slow storage write);
    // a recorded shard renews it anyway. A third of the lease leaves two chances before it runs out.
    const heartbeatEveryMs = (this.deps.leaseSeconds * 1000) / 3;
    this.stopHeartbeat = this.deps.clock.every(heartbeatEveryMs / 2, () => {
      if (this.deps.clock.now() - this.lastRenewedAt < heartbeatEveryMs) return;
      this.lastRenewedAt = this.deps.clock.now();
      void callState(this.deps.ports, 'heartbeat_export_lane', this.args).catch((e: unknown) =>
        this.deps.ports.log(`${this.tag}: heartbeat failed: ${String(e)}`),
      );
    });
  }

  /** A recorded shard renewed the lease: no idle heartbeat for another third of it. */
  renewed(): void {
    this.lastRenewedAt = this.deps.clock.now();
  }

  /** Stops the idle heartbeat (the invocation is over, whatever ended it). */
  release(): void {
    this.stopHeartbeat();
  }

  /** Ends the invocation: its reason, CPU, wall time and peak heap on its row (best effort). */
  async end(outcome: InvocationOutcome, figures: { peakHeapBytes: number; error?: ExportError }): Promise<void> {
    await this.leftoversRemoved;
    await this.deps.ports
      .rpc('end_export_invocation', {
        p_invocation_id: this.claim.invocation_id,
        p_end_reason: outcome,
        p_cpu_ms: Math.round(this.deps.cpuUsedMs()),
        p_wall_ms: this.elapsedMs(),
        p_peak_heap_bytes: figures.peakHeapBytes,
        p_error: figures.error ? `${figures.error.kind}: ${figures.error.message}` : null,
      })
      .catch((e: unknown) => this.deps.ports.log(`${this.tag}: could not end invocation: ${String(e)}`));
  }

  /**
   * What holders killed mid-page may have uploaded and never recorded: the shard each was writing and the
   * lane's pending re-runs, under each dead generation. Nothing references those keys (the lane's
   * finisher sweeps its folder for anything else).
   */
  private deadHoldersKeys(): string[] {
    const { lane, reruns } = this.claim;
    return lane.dead_generations.flatMap((generation, i) => [
      this.shardKey(lane.dead_seqs[i] ?? lane.next_seq, generation),
      ...reruns.map((rerun) => this.shardKey(rerun.lane_seq, generation)),
    ]);
  }
}
