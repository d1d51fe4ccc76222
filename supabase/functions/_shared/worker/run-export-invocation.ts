import type { CpuMeter } from '../cpu-meter.ts';
import { asExportError, type ExportError } from '../export-error.ts';
import { cleanUpEndedJob } from '../storage-cleanup.ts';
import { expireEndedJob } from '../storage-expiry.ts';
import { withBudget, type WorkerSettings } from '../worker-settings.ts';
import type { Claim, LaneToStart } from '../worker-rpc-results.ts';
import { HandOffPolicy } from './hand-off-policy.ts';
import { HeldLease, type ClaimedLease, type InvocationOutcome, type LeaseArgs } from './held-lease.ts';
import { jobFilterProblem } from './lane-page.ts';
import { runPagePipeline } from './page-pipeline.ts';
import { meteredPorts, systemClock, type WorkerClock, type WorkerPorts, type WorkerRequest } from './ports.ts';
import { ShardWriter } from './shard-writer.ts';
import { callState } from './state-call.ts';
import { takeLease, type ReadAhead } from './take-lease.ts';

/**
 * One invocation of the export worker on one lane of a job, from its parts:
 *
 *   take-lease.ts       claim the lane, or as the heir of the invocation holding it: warm up, register,
 *                       wait for the baton (reading ahead the page the holder announces)
 *   held-lease.ts       the lease held: the arguments every call carries, the idle heartbeat, the
 *                       removal of what dead holders left, the call that ends the invocation
 *   page-pipeline.ts    re-runs of damaged shards, then the tail, page n+1 read while page n uploads and
 *                       page n−1 is recorded (shard-writer.ts writes and records one shard)
 *   hand-off-policy.ts  the budgets, when to start the heir, which page is the last, the one hand-off
 *
 * This file ties them: a declined claim (and the storage clean-up or expiry an ended job may be due), then the
 * lane's end — finished, handed off, cancelled (acknowledged), stopped, or failed — each ending the
 * invocation once. Everything it touches is injected (WorkerPorts, the CPU meter, the clock), so the same
 * parts run in the Edge Function and in unit tests.
 */

export type InvocationResult = {
  outcome: InvocationOutcome;
  invocationId: string | null;
  lane: number | null;
  shardsWritten: number;
  rowsWritten: number;
  /** Set when outcome is 'error'. */
  error?: ExportError;
  /** For 'error': whether the lane will be retried (the sweep kicks it after the backoff). */
  retrying?: boolean;
};

export type InvocationDeps = {
  ports: WorkerPorts;
  settings: WorkerSettings;
  /** The isolate's CPU (read, or estimated where the runtime has no clock: cpu-meter.ts). */
  meter: CpuMeter;
  /** The meter when the request arrived: the platform's CPU limit counts from there, claim included. */
  cpuAtRequest: number;
  /** Told the lease as soon as it is held (the Edge Function hands held leases off on beforeunload). */
  onLease: (lease: LeaseArgs) => void;
  /** The system clock unless a test brings its own. */
  clock?: WorkerClock;
};

/** How the lane's work ended for this invocation, before the invocation itself is ended. */
type LaneEnding =
  | { outcome: 'completed'; kick: LaneToStart[]; storageKeys: string[] }
  | { outcome: 'handoff' | 'cancelled' | 'lease_lost' | 'stopped'; kick: LaneToStart[] }
  | { outcome: 'error'; error: ExportError };

/** The parts of an invocation that holds its lane's lease. */
type Holding = {
  ports: WorkerPorts;
  claim: ClaimedLease;
  lease: HeldLease;
  policy: HandOffPolicy;
  writer: ShardWriter;
};

export async function runExportInvocation(request: WorkerRequest, deps: InvocationDeps): Promise<InvocationResult> {
  const { settings, meter } = deps;
  const clock = deps.clock ?? systemClock;
  const ports = meteredPorts(deps.ports, meter);
  // CPU counts from the request, as the platform counts it (the claim, and an heir's warm-up, are on it);
  // wall time from the lease (held-lease.ts).
  const cpuUsedMs = () => meter.usedMs() - deps.cpuAtRequest + meter.perRequestMs;
  const { claim, readAhead } = await takeLease(request, { ports, settings, meter, clock });
  if (!claim.claimed) return decline(request, claim, ports);

  const lease = new HeldLease(claim, { ports, leaseSeconds: settings.leaseSeconds, clock, cpuUsedMs });
  deps.onLease(lease.args);
  const policy = new HandOffPolicy({ ports, lease, budgets: withBudget(settings, claim.job.budget), cpuUsedMs });
  const writer = new ShardWriter({ ports, lease, policy, clock, progressIntervalMs: settings.progressIntervalMs });
  lease.begin();
  const holding: Holding = { ports, claim, lease, policy, writer };
  try {
    const ending = await workLane(holding, readAhead, meter, clock);
    return await endInvocation(holding, ending);
  } finally {
    lease.release();
  }
}

/** Re-runs and tail through the pipeline, then the lane's end as the state machine has it. */
async function workLane(
  { ports, claim, lease, policy, writer }: Holding,
  readAhead: ReadAhead | undefined,
  meter: CpuMeter,
  clock: WorkerClock,
): Promise<LaneEnding> {
  try {
    const badFilter = jobFilterProblem(claim.job);
    if (badFilter) return { outcome: 'error', error: badFilter };
    const end = await runPagePipeline({
      ports,
      job: claim.job,
      lane: claim.lane,
      reruns: claim.reruns,
      readAhead,
      writer,
      policy,
      meter,
      clock,
    });
    switch (end.kind) {
      case 'exhausted':
        return await finishLane(ports, lease);
      case 'hand_off':
        return await policy.handOff(end.reason);
      case 'stopped':
        return { outcome: end.outcome, kick: [] };
      case 'failed':
        return { outcome: 'error', error: end.error };
    }
  } catch (error) {
    // A hand-off or finish call that failed (the database unreachable, say) fails the lane.
    return { outcome: 'error', error: asExportError(error) };
  }
}

/** The lane's keys are all written: the state machine finishes it (and the job with its last lane). */
async function finishLane(ports: WorkerPorts, lease: HeldLease): Promise<LaneEnding> {
  const finished = await callState(ports, 'finish_export_lane', lease.args);
  if (finished.outcome === 'cancel_requested') return { outcome: 'cancelled', kick: [] };
  if (finished.outcome !== 'completed') {
    return { outcome: finished.outcome === 'stopped' ? 'stopped' : 'lease_lost', kick: [] };
  }
  if (finished.job_status === 'completed') {
    ports.log(
      `job ${lease.args.p_job_id}: completed, ${finished.rows_written} rows (estimate ${finished.estimated_rows})`,
    );
  }
  return { outcome: 'completed', kick: finished.kick ?? [], storageKeys: finished.storage_keys ?? [] };
}

/** Ends the invocation once, as the lane's ending says; a cancel is acknowledged, a failure recorded. */
async function endInvocation({ ports, claim, lease, writer }: Holding, ending: LaneEnding): Promise<InvocationResult> {
  const result = (outcome: InvocationOutcome, extra: Partial<InvocationResult> = {}): InvocationResult => ({
    outcome,
    invocationId: claim.invocation_id,
    lane: claim.lane.lane_no,
    shardsWritten: writer.shardsWritten,
    rowsWritten: writer.rowsWritten,
    ...extra,
  });
  switch (ending.outcome) {
    case 'completed': {
      startLanes(ports, ending.kick);
      await removeUnreferenced(ports, lease, ending.storageKeys);
      await lease.end('completed', { peakHeapBytes: writer.peakHeapBytes });
      return result('completed');
    }
    case 'error': {
      const { error } = ending;
      ports.log(`${lease.tag}: ${error.kind}: ${error.message}`);
      const failed = await callState(ports, 'fail_export_lane', {
        ...lease.args,
        p_error_kind: error.kind,
        p_message: error.message,
        p_retryable: error.retryable,
      }).catch((e: unknown) => {
        ports.log(`${lease.tag}: could not record the failure (the lease will expire): ${String(e)}`);
        return { outcome: 'unrecorded', kick: [] };
      });
      startLanes(ports, failed.kick);
      await lease.end('error', { peakHeapBytes: writer.peakHeapBytes, error });
      return result('error', { error, retrying: failed.outcome === 'retrying' });
    }
    default: {
      if (ending.outcome === 'cancelled') {
        const ack = await callState(ports, 'acknowledge_export_cancel', lease.args);
        startLanes(ports, ack.kick);
      }
      startLanes(ports, ending.kick);
      await lease.end(ending.outcome, { peakHeapBytes: writer.peakHeapBytes });
      return result(ending.outcome);
    }
  }
}

/** Not claimed: start the lanes the answer names; an ended job may be due its storage clean-up. */
async function decline(
  request: WorkerRequest,
  claim: Extract<Claim, { claimed: false }>,
  ports: WorkerPorts,
): Promise<InvocationResult> {
  const { jobId } = request;
  ports.log(`job ${jobId} lane ${request.lane ?? 'any'}: not claimed (${claim.reason})`);
  startLanes(ports, claim.kick);
  // An ended job: the sweep kicks a worker when its storage clean-up is due, and when its files expire.
  if (claim.reason === 'finished' || claim.reason === 'cancelled') {
    await cleanUpEndedJob(jobId, ports).catch((error: unknown) =>
      ports.log(`job ${jobId}: storage clean-up failed (the sweep tries again): ${String(error)}`),
    );
    await expireEndedJob(jobId, ports).catch((error: unknown) =>
      ports.log(`job ${jobId}: expiry stopped (the sweep takes it again): ${String(error)}`),
    );
  }
  return {
    outcome: claim.reason === 'cancelled' ? 'cancelled' : 'declined',
    invocationId: claim.invocation_id ?? null,
    lane: request.lane ?? null,
    shardsWritten: 0,
    rowsWritten: 0,
  };
}

/**
 * The lane is done: anything under its folder that no manifest row references was written by a writer
 * that lost its lease or died (including one that wrote after the takeover's clean-up). One listing per
 * lane, at its end; the download never lists.
 */
async function removeUnreferenced(ports: WorkerPorts, lease: HeldLease, referenced: string[]): Promise<void> {
  try {
    const keep = new Set(referenced);
    const stray = (await ports.listObjects(lease.laneFolder())).filter((key) => !keep.has(key));
    if (stray.length > 0) await ports.removeObjects(stray);
  } catch (error) {
    ports.log(`${lease.tag}: clean-up of unreferenced objects failed (harmless): ${String(error)}`);
  }
}

function startLanes(ports: WorkerPorts, lanes: LaneToStart[] | undefined) {
  for (const toStart of lanes ?? []) ports.startCopy({ jobId: toStart.job_id, lane: toStart.lane_no });
}
