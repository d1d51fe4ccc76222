import { shouldStartHeir, type HeirTimingInput } from '../heir-timing.ts';
import { keyArg } from '../worker-rpc-args.ts';
import type { LaneToStart } from '../worker-rpc-results.ts';
import type { HeldLease, LeaseArgs } from './held-lease.ts';
import type { WorkerPorts } from './ports.ts';
import { callState } from './state-call.ts';

/**
 * When this invocation stops writing and who continues the lane. The budgets are wall time since the
 * lease and the isolate's CPU since the request (cpu-meter.ts); each page's cost so far predicts the next.
 *
 * - The heir is started once, when the time left is about what it needs to boot and warm up
 *   (heir-timing.ts), so its boot overlaps this invocation's last pages.
 * - A page is the last when an heir waits (it carries the baton) or when one more page would take either
 *   budget past its end.
 * - Whatever ends the loop for these reasons goes through `handOff`: the baton passed or the slot yielded
 *   with a record, or the lane released when the budget is spent.
 */

/** Why the loop ends with a hand-off: a record passed the lease to the heir or yielded the lane, or the budget is spent. */
export type HandOffReason = { by: 'passed' } | { by: 'yielded'; kick: LaneToStart[] } | { by: 'budget' };

/** How a hand-off ends the invocation: handed (lanes to start) or, when releasing, the lease already lost. */
export type HandOffEnd = { outcome: 'handoff'; kick: LaneToStart[] } | { outcome: 'lease_lost'; kick: [] };

/** What to do with a page just fetched. */
export type PagePlan = {
  /** The heir waits: this page's record passes it the lease. */
  passBaton: boolean;
  /** No page is read after this one. */
  last: boolean;
};

export type HandOffPolicyDeps = {
  ports: Pick<WorkerPorts, 'rpc' | 'startCopy' | 'log' | 'bootMs'>;
  lease: Pick<HeldLease, 'args' | 'tag' | 'elapsedMs'>;
  budgets: { timeBudgetMs: number; cpuBudgetMs: number };
  /** The isolate's CPU since the request arrived. */
  cpuUsedMs: () => number;
};

export class HandOffPolicy {
  /** Wall time and isolate CPU of each recorded page so far, kept sorted (medians predict the next page). */
  private readonly pageWallMs: number[] = [];
  private readonly pageCpuMs: number[] = [];
  private cpuAtLastPage: number;
  private heirRequested = false;
  /** The last record said an heir is registered and waiting for the baton. */
  private heirWaiting = false;

  constructor(private readonly deps: HandOffPolicyDeps) {
    this.cpuAtLastPage = deps.cpuUsedMs();
  }

  /** A page was recorded: its wall time (fetch to record), and whether an heir now waits. */
  pageRecorded(wallMs: number, heirWaiting: boolean): void {
    this.pageWallMs.push(wallMs);
    this.pageWallMs.sort((a, b) => a - b);
    const cpuNow = this.deps.cpuUsedMs();
    this.pageCpuMs.push(cpuNow - this.cpuAtLastPage);
    this.pageCpuMs.sort((a, b) => a - b);
    this.cpuAtLastPage = cpuNow;
    this.heirWaiting = heirWaiting;
  }

  /** Spent when one more page (at its median cost so far) would take either budget past its end. */
  budgetSpent(): boolean {
    const t = this.timing();
    const pageCpu = median(this.pageCpuMs);
    return t.elapsedMs + t.pageMs >= t.timeBudgetMs || t.cpuUsedMs + pageCpu >= t.cpuBudgetMs;
  }

  /** Read as soon as a page is fetched: as records run beside the next upload, an heir is acted on one page later. */
  planPage(): PagePlan {
    const passBaton = this.heirWaiting;
    return { passBaton, last: passBaton || this.budgetSpent() };
  }

  /** Starts the heir (once, after a page has shown what a page costs) when heir-timing.ts says it is time. */
  maybeStartHeir(): void {
    if (this.heirRequested || this.pageWallMs.length === 0 || !shouldStartHeir(this.timing())) return;
    this.heirRequested = true;
    const { p_job_id, p_lane_no, p_invocation_id } = this.deps.lease.args;
    this.deps.ports.startCopy({ jobId: p_job_id, lane: p_lane_no, heirOf: p_invocation_id });
  }

  /** Tells the waiting heir where the last page ends, so it reads its first page beside that page's write. */
  announceBaton(afterKey: bigint): void {
    // Fire and forget: a lost announcement only means the heir fetches its first page after the baton.
    const { ports, lease } = this.deps;
    void callState(ports, 'announce_export_baton', { ...lease.args, p_after_key: keyArg(afterKey) }).catch(
      (e: unknown) => ports.log(`${lease.tag}: could not announce the baton (harmless): ${String(e)}`),
    );
  }

  /**
   * The one way the loop ends for the budget or an heir. A record that passed the baton or yielded the
   * lane has handed it already; a spent budget passes to a waiting heir, or releases the lane and starts
   * whoever should run next. An heir already on its way (still booting) claims the released lane itself:
   * starting another copy for it would only add a process that is declined (and, on a loaded host, slow
   * every boot down).
   */
  async handOff(reason: HandOffReason): Promise<HandOffEnd> {
    if (reason.by === 'passed') return { outcome: 'handoff', kick: [] };
    if (reason.by === 'yielded') return { outcome: 'handoff', kick: reason.kick };
    const handed = await handOffLane(this.deps.ports, this.deps.lease.args);
    if (handed.outcome === 'lease_lost') return { outcome: 'lease_lost', kick: [] };
    const { p_job_id, p_lane_no } = this.deps.lease.args;
    const isThisLane = (l: LaneToStart) => l.job_id === p_job_id && l.lane_no === p_lane_no;
    return { outcome: 'handoff', kick: (handed.kick ?? []).filter((l) => !(this.heirRequested && isThisLane(l))) };
  }

  private timing(): HeirTimingInput {
    return {
      elapsedMs: this.deps.lease.elapsedMs(),
      cpuUsedMs: this.deps.cpuUsedMs(),
      timeBudgetMs: this.deps.budgets.timeBudgetMs,
      cpuBudgetMs: this.deps.budgets.cpuBudgetMs,
      bootMs: this.deps.ports.bootMs,
      pageMs: median(this.pageWallMs),
    };
  }
}

/**
 * Passes the lane to its registered heir, or releases it (`hand_off_export_lane`): what a spent budget
 * does, and what the Edge Function does on `beforeunload` for every lease it holds.
 */
export function handOffLane(ports: Pick<WorkerPorts, 'rpc'>, lease: LeaseArgs) {
  return callState(ports, 'hand_off_export_lane', lease);
}

/** The middle of a sorted list (the upper one of two); 0 for none. */
const median = (sorted: readonly number[]) => (sorted.length > 0 ? sorted[Math.floor(sorted.length / 2)]! : 0);
