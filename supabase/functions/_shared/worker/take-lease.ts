import type { CpuMeter } from '../cpu-meter.ts';
import { keyArg } from '../worker-rpc-args.ts';
import type { Claim, ClaimedJob, ClaimedLane } from '../worker-rpc-results.ts';
import type { WorkerSettings } from '../worker-settings.ts';
import { fetchLanePage, prepareShard, type Page } from './lane-page.ts';
import type { WorkerClock, WorkerPorts, WorkerRequest } from './ports.ts';
import { callState } from './state-call.ts';

/**
 * How an invocation comes to hold a lane's lease: it claims the lane, or — started as the heir of the
 * invocation that holds it — it warms up, registers and waits for the baton.
 *
 * The heir's warm-up runs the lane's current page through the same code a real page takes (fetched,
 * encoded, hashed, dropped) before registering: a fresh isolate is slow on its first pages (cold code,
 * cold connections), and the holder passes the baton as soon as an heir is registered. When the holder
 * announces where its last page ends, the heir reads its own first page from there (fetched and encoded,
 * not written: it holds no lease) and waits on; with the baton it then only uploads and records.
 */

/** An heir's first page, read ahead from the key its predecessor announced. */
export type ReadAhead = { afterKey: bigint; page: Promise<Page | null> };

/** The claim (or why there is none) and, for an heir, the page it read ahead. */
export type TakenLease = { claim: Claim; readAhead?: ReadAhead };

export type TakeLeaseDeps = {
  ports: WorkerPorts;
  settings: WorkerSettings;
  meter: CpuMeter;
  clock: WorkerClock;
};

/** Encodes of the warm-up page: ~15–40 ms of CPU each on a fresh isolate, a few per ~10 s invocation. */
export const WARM_UP_ROUNDS = 3;

/** How long the heir waits for the baton before stepping back (the predecessor then hands off cold). */
export const HEIR_WAIT_MS = 15_000;

/**
 * The heir looks at the lane (`poll_export_baton`, about a millisecond of one pooled connection) and
 * waits between looks in the worker, so a waiting heir never holds one of the API's few connections
 * (hosted PostgREST pools are ~10). First 10 ms apart, growing by half up to 50 ms: the baton usually
 * comes one or two pages after the heir registers, and a look that comes late adds to the hand-off gap.
 * After an announcement the baton is a write and a record away: back to 10 ms.
 */
export const BATON_POLL_FIRST_MS = 10;
export const BATON_POLL_MAX_MS = 50;

export async function takeLease(request: WorkerRequest, deps: TakeLeaseDeps): Promise<TakenLease> {
  if (request.heirOf !== undefined && request.lane !== undefined) {
    const asHeir = await takeLeaseAsHeir({ jobId: request.jobId, lane: request.lane, heirOf: request.heirOf }, deps);
    if (asHeir) return asHeir;
  }
  const claim = await callState(deps.ports, 'claim_export_lane', {
    p_job_id: request.jobId,
    p_lane_no: request.lane ?? null,
    p_lease_seconds: deps.settings.leaseSeconds,
    p_budget: request.budget ?? null,
  });
  return { claim };
}

/**
 * Preview → warm up → register → wait for the baton. Null when the heir could not register (the holder
 * already left, or has another heir): the caller then claims the lane as any invocation would.
 */
async function takeLeaseAsHeir(
  heir: { jobId: string; lane: number; heirOf: string },
  deps: TakeLeaseDeps,
): Promise<TakenLease | null> {
  const { ports, meter } = deps;
  const predecessor = { p_job_id: heir.jobId, p_lane_no: heir.lane, p_predecessor: heir.heirOf };
  const preview = await callState(ports, 'preview_export_heir', predecessor);
  if (preview.available && preview.job && preview.lane) await warmUp(preview.job, preview.lane, ports, meter);
  const registered = await callState(ports, 'register_export_heir', predecessor);
  if (!registered.registered || registered.invocation_id === undefined) return null;
  return waitForBaton(
    { jobId: heir.jobId, lane: heir.lane, invocationId: registered.invocation_id },
    registered.job && registered.lane ? { job: registered.job, keyUpper: registered.lane.key_upper } : undefined,
    deps,
  );
}

/**
 * Looks at the lane until the baton comes (the claim), the holder leaves without passing it, or the wait
 * is over (the heir steps back: the answer says why). An announced key starts the read-ahead of the page
 * after it (`source`: the job and the lane's upper bound, when the registration told them).
 */
async function waitForBaton(
  heir: { jobId: string; lane: number; invocationId: string },
  source: { job: ClaimedJob; keyUpper: bigint | null } | undefined,
  { ports, meter, clock }: TakeLeaseDeps,
): Promise<TakenLease> {
  const waitUntil = clock.now() + HEIR_WAIT_MS;
  let readAhead: ReadAhead | undefined;
  let seenAfterKey: bigint | null = null;
  let pollEveryMs = BATON_POLL_FIRST_MS;
  for (;;) {
    const answer: Claim = await callState(ports, 'poll_export_baton', {
      p_job_id: heir.jobId,
      p_lane_no: heir.lane,
      p_invocation_id: heir.invocationId,
      p_seen_after_key: keyArg(seenAfterKey),
      p_give_up: clock.now() >= waitUntil,
    });
    if (answer.claimed || (answer.reason !== 'announced' && answer.reason !== 'waiting')) {
      return { claim: answer, readAhead };
    }
    if (answer.reason === 'announced' && answer.after_key !== undefined) {
      const afterKey: bigint = answer.after_key;
      seenAfterKey = afterKey;
      if (source) readAhead = { afterKey, page: readPageAhead(ports, source.job, afterKey, source.keyUpper, meter) };
      pollEveryMs = BATON_POLL_FIRST_MS;
    }
    await clock.sleep(pollEveryMs);
    pollEveryMs = Math.min(BATON_POLL_MAX_MS, pollEveryMs * 1.5);
  }
}

/** The heir's first page, fetched and encoded before it holds the lease; null when that failed. */
async function readPageAhead(
  ports: WorkerPorts,
  job: ClaimedJob,
  afterKey: bigint,
  keyUpper: bigint | null,
  meter: CpuMeter,
): Promise<Page | null> {
  try {
    const page = await fetchLanePage(ports, job, afterKey, keyUpper);
    return { ...page, shard: await prepareShard(job, page.documents, meter) };
  } catch (error) {
    ports.log(`reading ahead failed (the page is fetched again with the baton): ${String(error)}`);
    return null;
  }
}

/**
 * One page of the lane as it is now, through the same code a real page takes, then dropped; encoded a few
 * times, so V8 has compiled the encoder with optimisations before the heir's first real page.
 */
async function warmUp(job: ClaimedJob, lane: ClaimedLane, ports: WorkerPorts, meter: CpuMeter): Promise<void> {
  try {
    const page = await fetchLanePage(ports, job, lane.cursor_key, lane.key_upper);
    for (let round = 0; round < WARM_UP_ROUNDS; round++) await prepareShard(job, page.documents, meter);
  } catch (error) {
    ports.log(`warm-up failed (harmless): ${String(error)}`);
  }
}

/**
 * The lane's first tail page: the one read ahead when it starts exactly where the lane's cursor is (the
 * baton came from the predecessor that announced it), else a fresh fetch.
 */
export function firstTailPage(
  readAhead: ReadAhead | undefined,
  cursor: bigint | null,
  fetch: () => Promise<Page>,
): Promise<Page> {
  if (!readAhead || readAhead.afterKey !== cursor) return fetch();
  return readAhead.page.then((page) => page ?? fetch());
}
