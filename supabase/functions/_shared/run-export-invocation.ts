import type { CpuMeter } from './cpu-meter.ts';
import { checkFilterTokens, checkUserFilter, composePageFilter } from './export-filter.ts';
import { asExportError, ExportError } from './export-error.ts';
import { encodeShard, type EncodedShard, type ExportDocument } from './export-format.ts';
import { gzipShard, type GzipShard } from './gzip-shard.ts';
import { shouldStartHeir } from './heir-timing.ts';
import { sha256Hex } from './sha256.ts';
import { cleanUpEndedJob } from './storage-cleanup.ts';
import { shardStorageKey } from './shard-key.ts';
import { withBudget, type Budget, type WorkerSettings } from './worker-settings.ts';
import { integerOf } from './exact-json.ts';
import {
  announcedSchema,
  claimSchema,
  finishedSchema,
  heartbeatSchema,
  outcomeSchema,
  parseRpcResult,
  previewSchema,
  recordOutcomeSchema,
  registeredSchema,
  type Claim,
  type ClaimedJob,
  type ClaimedLane,
  type LaneToStart,
  type RecordOutcome,
  type Rerun,
} from './worker-rpc-results.ts';
import type { z } from 'zod';

/**
 * One invocation of the export worker on one lane of a job: take the lane's lease (claim it, or wait as
 * the heir of the invocation that started it), re-run the lane's damaged shards, then write its tail page
 * by page — fetching page n+1 while page n is encoded, uploaded and recorded, so at most two pages are
 * held — and stop when the lane is done, cancelled, or the budget is spent. Before the budget runs out
 * it starts its heir, whose boot overlaps the last pages, and passes it the lease in the call that records
 * its last shard; as soon as it has fetched that last page it tells the heir where the page ends, so the
 * heir's first page is fetched and encoded beside it. Everything it touches is injected, so the same loop
 * runs in the Edge Function and tests.
 */

export type SearchPageRequest = {
  collection: string;
  filterBy: string;
  sortBy: string;
  perPage: number;
  includeFields: readonly string[];
};

/** What starts a worker: a job, optionally one lane of it, optionally as the heir of a running invocation. */
export type WorkerRequest = { jobId: string; lane?: number; heirOf?: string; budget?: Budget };

export type { LaneToStart };

export type WorkerPorts = {
  /** Calls a state-machine function; throws ExportError('database_failed') when the call fails. */
  rpc: <T>(fn: string, args: Record<string, unknown>) => Promise<T>;
  /** One keyset page; throws ExportError (source_unavailable / source_rejected). */
  searchPage: (request: SearchPageRequest) => Promise<ExportDocument[]>;
  /** Writes a shard object (upsert); throws ExportError('storage_failed'). */
  uploadShard: (key: string, bytes: Uint8Array, contentType: string) => Promise<void>;
  /** Removes objects no manifest row references (best effort: a failure is logged, not thrown). */
  removeObjects: (keys: string[]) => Promise<void>;
  /** Keys of the objects under a folder (for the clean-up when a lane ends; never for reading data). */
  listObjects: (folder: string) => Promise<string[]>;
  /** Starts a fresh copy of the worker (the relay's baton pass); never throws. */
  startCopy: (request: WorkerRequest) => void;
  /** Current V8 heap use; sampled after every shard and recorded as the invocation's peak. */
  heapUsedBytes: () => number;
  /** How long this copy took to boot (process start to serving): the heir will take about as long. */
  bootMs: number;
  log: (message: string) => void;
};

export type InvocationOutcome = 'handoff' | 'completed' | 'cancelled' | 'declined' | 'lease_lost' | 'stopped' | 'error';

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

/** Why the loop stopped early; every one of them ends the invocation without an error. */
class Stop {
  constructor(
    readonly outcome: 'cancelled' | 'lease_lost' | 'stopped' | 'handoff',
    readonly kick: LaneToStart[] = [],
  ) {}
}

/** The lease an invocation holds: every state-machine call after the claim carries it. */
export type LeaseArgs = { p_job_id: string; p_lane_no: number; p_invocation_id: string; p_generation: number };

/** A fetched page: the documents and the key of the last one; `shard` when it is already encoded. */
type Page = { documents: ExportDocument[]; lastKey: bigint | null; shard?: PreparedShard };

/** A page encoded for storage: the plain bytes (what the file is made of) and the gzip member stored. */
type PreparedShard = { encoded: EncodedShard; sha256: string; gzipped: GzipShard; gzipSha256: string };

/** A page being read beside the write before it (see readPage in runExportInvocation). */
type PageRead = { fetched: Promise<Page>; shard: Promise<PreparedShard> };

/** An heir's first page, read ahead from the key its predecessor announced (see takeLease). */
type ReadAhead = { afterKey: bigint; page: Promise<Page | null> };

/** Encodes of the warm-up page: ~15–40 ms of CPU each on a fresh isolate, a few per ~10 s invocation. */
const WARM_UP_ROUNDS = 3;

/** How long the heir waits for the baton before stepping back (the predecessor then hands off cold). */
const HEIR_WAIT_MS = 15_000;

/**
 * The heir looks at the lane (`poll_export_baton`, about a millisecond of one pooled connection) and
 * waits between looks in the worker, so a waiting heir never holds one of the API's few connections
 * (hosted PostgREST pools are ~10). First 10 ms apart, growing by half up to 50 ms: the baton usually
 * comes one or two pages after the heir registers, and a look that comes late adds to the hand-off gap.
 * After an announcement the baton is a write and a record away: back to 10 ms.
 */
const BATON_POLL_FIRST_MS = 10;
const BATON_POLL_MAX_MS = 50;

/** A state-machine call whose answer is checked against its schema (worker-rpc-results.ts). */
async function call<S extends z.ZodType>(
  ports: WorkerPorts,
  fn: string,
  args: Record<string, unknown>,
  schema: S,
): Promise<z.infer<S>> {
  const answer = await ports.rpc<unknown>(fn, args);
  try {
    return parseRpcResult(fn, schema, answer);
  } catch (error) {
    throw new ExportError('database_failed', error instanceof Error ? error.message : String(error), true);
  }
}

/** A key as the database takes it: decimal digits (JSON numbers cannot carry int64s beyond 2^53). */
const keyArg = (key: bigint | null) => (key === null ? null : key.toString());

/** The ports, each network exchange counted on the CPU meter (part of the estimate where there is no clock). */
function meteredPorts(ports: WorkerPorts, meter: CpuMeter): WorkerPorts {
  const counted =
    <A extends unknown[], R>(call: (...args: A) => R) =>
    (...args: A): R => {
      meter.countExchange();
      return call(...args);
    };
  return {
    ...ports,
    rpc: <T>(fn: string, args: Record<string, unknown>) => {
      meter.countExchange();
      return ports.rpc<T>(fn, args);
    },
    searchPage: counted(ports.searchPage),
    uploadShard: counted(ports.uploadShard),
    removeObjects: counted(ports.removeObjects),
    listObjects: counted(ports.listObjects),
    startCopy: counted(ports.startCopy),
  };
}

export async function runExportInvocation(
  request: WorkerRequest,
  unmeteredPorts: WorkerPorts,
  settings: WorkerSettings,
  onLease: (lease: LeaseArgs) => void,
  /** The isolate's CPU (read, or estimated where the runtime has no clock: cpu-meter.ts). */
  meter: CpuMeter,
  /** The meter when the request arrived: the platform's CPU limit counts from there, claim included. */
  cpuAtRequest: number,
): Promise<InvocationResult> {
  const { jobId } = request;
  const ports = meteredPorts(unmeteredPorts, meter);
  const cpuUsedMs = () => meter.usedMs() - cpuAtRequest;
  const { claim, readAhead } = await takeLease(request, ports, settings, meter);
  if (!claim.claimed) {
    ports.log(`job ${jobId} lane ${request.lane ?? 'any'}: not claimed (${claim.reason})`);
    for (const lane of claim.kick ?? []) ports.startCopy({ jobId: lane.job_id, lane: lane.lane_no });
    // An ended job: the sweep kicks a worker when its storage clean-up is due.
    if (claim.reason === 'finished' || claim.reason === 'cancelled') {
      await cleanUpEndedJob(jobId, ports).catch((error: unknown) =>
        ports.log(`job ${jobId}: storage clean-up failed (the sweep tries again): ${String(error)}`),
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

  // Wall time counts from the lease (an heir's wait for the baton is not its work); CPU from the request,
  // as the platform counts it (the claim, and an heir's warm-up, are on it).
  const startedAt = Date.now();
  const { job, lane, generation, invocation_id: invocationId } = claim;
  const limits = withBudget(settings, job.budget);
  const lease: LeaseArgs = {
    p_job_id: jobId,
    p_lane_no: lane.lane_no,
    p_invocation_id: invocationId,
    p_generation: generation,
  };
  onLease(lease);
  const tag = `job ${jobId} lane ${lane.lane_no}`;
  let shardsWritten = 0;
  let rowsWritten = 0;
  let peakHeapBytes = ports.heapUsedBytes();
  let lastRenewedAt = Date.now();
  let heirRequested = false;
  let heirWaiting = false;
  /** Wall time and isolate CPU of each page so far, kept sorted (medians predict the next page). */
  const pageWallMs: number[] = [];
  const pageCpuMs: number[] = [];
  let cpuAtLastPage = cpuUsedMs();

  const keyFor = (laneSeq: number, gen: number) =>
    shardStorageKey({
      organisationId: job.organisation_id,
      jobId,
      lane: lane.lane_no,
      laneSeq,
      generation: gen,
      format: job.format,
      encoding: 'gzip',
    });

  // What holders killed mid-page may have uploaded and never recorded: the shard each was writing and the
  // lane's pending re-runs, under each dead generation. Nothing references those keys; remove them (the
  // lane's finisher sweeps its folder for anything else).
  const deadKeys = (generations: number[], seqs: number[]) =>
    generations.flatMap((gen, i) => [
      keyFor(seqs[i] ?? lane.next_seq, gen),
      ...claim.reruns.map((rerun) => keyFor(rerun.lane_seq, gen)),
    ]);
  const orphanCleanup = ports.removeObjects(deadKeys(lane.dead_generations, lane.dead_seqs));

  const end = async (outcome: InvocationOutcome, error?: ExportError) => {
    await orphanCleanup;
    await ports
      .rpc('end_export_invocation', {
        p_invocation_id: invocationId,
        p_end_reason: outcome,
        p_cpu_ms: Math.round(cpuUsedMs()),
        p_wall_ms: Date.now() - startedAt,
        p_peak_heap_bytes: peakHeapBytes,
        p_error: error ? `${error.kind}: ${error.message}` : null,
      })
      .catch((e: unknown) => ports.log(`${tag}: could not end invocation: ${String(e)}`));
  };

  const timing = () => ({
    elapsedMs: Date.now() - startedAt,
    cpuUsedMs: cpuUsedMs(),
    timeBudgetMs: limits.timeBudgetMs,
    cpuBudgetMs: limits.cpuBudgetMs,
    bootMs: ports.bootMs,
    pageMs: pageWallMs.length > 0 ? pageWallMs[Math.floor(pageWallMs.length / 2)]! : 0,
  });
  /** Spent when one more page (at its median cost so far) would take either budget past its end. */
  const budgetSpent = () => {
    const t = timing();
    const pageCpu = pageCpuMs.length > 0 ? pageCpuMs[Math.floor(pageCpuMs.length / 2)]! : 0;
    return t.elapsedMs + t.pageMs >= t.timeBudgetMs || t.cpuUsedMs + pageCpu >= t.cpuBudgetMs;
  };
  const maybeStartHeir = () => {
    if (heirRequested || pageWallMs.length === 0 || !shouldStartHeir(timing())) return;
    heirRequested = true;
    ports.startCopy({ jobId, lane: lane.lane_no, heirOf: invocationId });
  };

  // An idle heartbeat keeps the lease while one page is slow (a retried request, a slow storage write);
  // a recorded shard renews it anyway. A third of the lease leaves two chances before it runs out.
  const heartbeatEveryMs = (settings.leaseSeconds * 1000) / 3;
  const heartbeat = setInterval(() => {
    if (Date.now() - lastRenewedAt < heartbeatEveryMs) return;
    lastRenewedAt = Date.now();
    void call(ports, 'heartbeat_export_lane', lease, heartbeatSchema).catch((e: unknown) =>
      ports.log(`${tag}: heartbeat failed: ${String(e)}`),
    );
  }, heartbeatEveryMs / 2);

  const fetchPage = (afterKey: bigint | null, lastKey: bigint | null) => fetchLanePage(ports, job, afterKey, lastKey);
  /**
   * A page being read: `fetched` resolves when its documents are in (its last key lets the next fetch
   * start), `shard` once they are encoded. The encoding (~18 ms of CPU) starts as soon as the
   * documents arrive, so it runs while the page before is still uploading and being recorded.
   */
  const readPage = (fetched: Promise<Page>): PageRead => {
    const shard = fetched.then((page) => shardOf(job, page, meter));
    // Failures are seen where they are awaited.
    fetched.catch(() => {});
    shard.catch(() => {});
    return { fetched, shard };
  };

  type ShardPlace = { laneSeq: number; afterKey: bigint | null; lastKey: bigint; rerun?: Rerun };
  type UploadedShard = { key: string; shard: PreparedShard };

  /** Uploads a shard's gzip member; nothing references it yet. */
  const uploadShard = async (shard: PreparedShard, place: ShardPlace): Promise<UploadedShard> => {
    if (place.rerun && (place.rerun.rows !== shard.encoded.rows || place.rerun.sha256 !== shard.sha256)) {
      throw sourceChanged(place.rerun, shard.encoded.rows);
    }
    const key = keyFor(place.laneSeq, generation);
    await ports.uploadShard(key, shard.gzipped.bytes, 'application/gzip');
    return { key, shard };
  };

  /** Records an uploaded shard in the manifest (or removes its object when the lane says no). */
  const recordShard = async (
    { key, shard }: UploadedShard,
    place: ShardPlace,
    pass: boolean,
    fetchStartedAt: number,
  ): Promise<RecordOutcome> => {
    const { encoded, sha256, gzipped, gzipSha256 } = shard;
    const recorded = await call(
      ports,
      'record_export_shard',
      {
        ...lease,
        p_shard_no: place.rerun?.shard_no ?? null,
        p_lane_seq: place.laneSeq,
        p_key_after: keyArg(place.afterKey),
        p_key_last: keyArg(place.lastKey),
        p_rows: encoded.rows,
        p_bytes: encoded.bytes.length,
        p_header_bytes: encoded.headerBytes,
        p_sha256: sha256,
        p_storage_key: key,
        p_duration_ms: Date.now() - fetchStartedAt,
        p_progress_interval_ms: settings.progressIntervalMs,
        p_pass_to_heir: pass,
        p_encoding: 'gzip',
        p_gzip_bytes: gzipped.bytes.length,
        p_gzip_header_bytes: gzipped.headerBytes,
        p_gzip_sha256: gzipSha256,
      },
      recordOutcomeSchema,
    );
    // Sampled while this page's documents and bytes (and the next page, prefetched) are reachable.
    peakHeapBytes = Math.max(peakHeapBytes, ports.heapUsedBytes());
    if (recorded.outcome === 'recorded' || recorded.outcome === 'passed' || recorded.outcome === 'yielded') {
      lastRenewedAt = Date.now();
      shardsWritten += 1;
      rowsWritten += encoded.rows;
      pageWallMs.push(Date.now() - fetchStartedAt);
      pageWallMs.sort((a, b) => a - b);
      const cpuNow = cpuUsedMs();
      pageCpuMs.push(cpuNow - cpuAtLastPage);
      pageCpuMs.sort((a, b) => a - b);
      cpuAtLastPage = cpuNow;
      heirWaiting = recorded.heir_waiting === true;
      return recorded;
    }
    // Not recorded: the object we just wrote is referenced by nothing.
    await ports.removeObjects([key]);
    if (recorded.outcome === 'source_changed') {
      throw new ExportError('source_changed', recorded.detail ?? 'The source changed under a re-run.', false);
    }
    throw new Stop(recorded.outcome === 'cancel_requested' ? 'cancelled' : recorded.outcome);
  };

  const afterRecord = (recorded: RecordOutcome) => {
    if (recorded.outcome === 'passed') throw new Stop('handoff');
    if (recorded.outcome === 'yielded') throw new Stop('handoff', recorded.kick);
  };

  const result = (outcome: InvocationOutcome, extra: Partial<InvocationResult> = {}): InvocationResult => ({
    outcome,
    invocationId,
    lane: lane.lane_no,
    shardsWritten,
    rowsWritten,
    ...extra,
  });

  try {
    const filterCheck = job.filter ? checkUserFilter(job.filter) : ({ ok: true } as const);
    if (!filterCheck.ok) throw new ExportError('bad_filter', filterCheck.message, false);
    const tokenCheck = checkFilterTokens({
      keyField: job.key_field,
      mandatoryFilter: job.mandatory_filter,
      userFilter: job.filter,
    });
    if (!tokenCheck.ok) throw new ExportError('bad_filter', tokenCheck.message, false);

    // Repairs first: each re-run reads exactly its shard's key range and must reproduce it.
    for (const rerun of claim.reruns) {
      if (budgetSpent()) throw await handOff();
      const fetchStartedAt = Date.now();
      const page = await fetchPage(rerun.key_after, rerun.key_last);
      if (page.lastKey !== rerun.key_last) throw sourceChanged(rerun, page.documents.length);
      const place = { laneSeq: rerun.lane_seq, afterKey: rerun.key_after, lastKey: rerun.key_last, rerun };
      const uploaded = await uploadShard(await prepareShard(job, page.documents, meter), place);
      afterRecord(await recordShard(uploaded, place, false, fetchStartedAt));
      maybeStartHeir();
    }

    if (!lane.tail_complete) {
      let laneSeq = lane.next_seq;
      let afterKey = lane.cursor_key;
      let fetchStartedAt = Date.now();
      let next: PageRead | null = readPage(
        firstTailPage(readAhead, afterKey, () => fetchPage(afterKey, lane.key_upper)),
      );
      // The previous page's record, still in flight while this page uploads: a page costs the longer of
      // its fetch, its upload and its record instead of the upload and the record one after the other.
      // Records stay in order, each after its own upload; a stop it brings (cancel, hand-off, lost
      // lease) is seen one upload later, and that upload's object is removed, never recorded.
      let recording: Promise<RecordOutcome> | null = null;
      const settleRecord = async () => {
        const inFlight = recording;
        recording = null;
        if (inFlight) afterRecord(await inFlight);
      };
      try {
        while (next) {
          const { fetched, shard } = next;
          const page = await fetched;
          next = null;
          if (page.lastKey === null) break;
          // A short page means the lane's key range is exhausted: no need to ask for an empty one.
          const more = page.documents.length === job.page_size;
          // The heir is waiting: this page is the last one; it carries the baton, and the heir is told at
          // once where it ends, to read its first page beside this one's write. Else keep one page ahead.
          const passBaton = heirWaiting;
          const last = passBaton || budgetSpent();
          if (more && passBaton) announceBaton(page.lastKey);
          const thisFetchStartedAt = fetchStartedAt;
          if (more && !last) {
            // The next page is read beside this page's encoding and write; at most two pages are held.
            fetchStartedAt = Date.now();
            next = readPage(fetchPage(page.lastKey, lane.key_upper));
          }
          const place = { laneSeq, afterKey, lastKey: page.lastKey };
          const uploaded = await uploadShard(await shard, place);
          try {
            await settleRecord();
          } catch (stop) {
            await ports.removeObjects([uploaded.key]);
            throw stop;
          }
          recording = recordShard(uploaded, place, passBaton, thisFetchStartedAt);
          recording.catch(() => {});
          laneSeq += 1;
          afterKey = page.lastKey;
          if (!more) break;
          maybeStartHeir();
          if (!next) {
            await settleRecord();
            throw await handOff();
          }
        }
        await settleRecord();
      } catch (error) {
        // A record still in flight is answered first: its stop (a cancel, say) outranks this page's failure.
        await settleRecord();
        throw error;
      }
    }

    const finished = await call(ports, 'finish_export_lane', lease, finishedSchema);
    if (finished.outcome === 'cancel_requested') throw new Stop('cancelled');
    if (finished.outcome !== 'completed') throw new Stop(finished.outcome === 'stopped' ? 'stopped' : 'lease_lost');
    if (finished.job_status === 'completed') {
      ports.log(`job ${jobId}: completed, ${finished.rows_written} rows (estimate ${finished.estimated_rows})`);
    }
    startLanes(finished.kick);
    await removeUnreferenced(finished.storage_keys ?? []);
    await end('completed');
    return result('completed');
  } catch (caught) {
    if (caught instanceof Stop) {
      if (caught.outcome === 'cancelled') {
        const ack = await call(ports, 'acknowledge_export_cancel', lease, outcomeSchema);
        startLanes(ack.kick);
      }
      startLanes(caught.kick);
      await end(caught.outcome);
      return result(caught.outcome);
    }
    const error = asExportError(caught);
    ports.log(`${tag}: ${error.kind}: ${error.message}`);
    const failed = await call(
      ports,
      'fail_export_lane',
      { ...lease, p_error_kind: error.kind, p_message: error.message, p_retryable: error.retryable },
      outcomeSchema,
    ).catch((e: unknown) => {
      ports.log(`${tag}: could not record the failure (the lease will expire): ${String(e)}`);
      return { outcome: 'unrecorded', kick: [] };
    });
    startLanes(failed.kick);
    await end('error', error);
    return result('error', { error, retrying: failed.outcome === 'retrying' });
  } finally {
    clearInterval(heartbeat);
  }

  /**
   * The lane is done: anything under its folder that no manifest row references was written by a writer
   * that lost its lease or died (including one that wrote after the takeover's clean-up). One listing per
   * lane, at its end; the download never lists.
   */
  async function removeUnreferenced(referenced: string[]): Promise<void> {
    try {
      const folder = keyFor(1, 0).slice(0, keyFor(1, 0).lastIndexOf('/'));
      const keep = new Set(referenced);
      const stray = (await ports.listObjects(folder)).filter((key) => !keep.has(key));
      if (stray.length > 0) await ports.removeObjects(stray);
    } catch (error) {
      ports.log(`${tag}: clean-up of unreferenced objects failed (harmless): ${String(error)}`);
    }
  }

  /** Fire and forget: a lost announcement only means the heir fetches its first page after the baton. */
  function announceBaton(afterKey: bigint) {
    void call(ports, 'announce_export_baton', { ...lease, p_after_key: keyArg(afterKey) }, announcedSchema).catch(
      (e: unknown) => ports.log(`${tag}: could not announce the baton (harmless): ${String(e)}`),
    );
  }

  function startLanes(lanes: LaneToStart[] | undefined) {
    for (const toStart of lanes ?? []) ports.startCopy({ jobId: toStart.job_id, lane: toStart.lane_no });
  }

  /**
   * The budget is spent: pass to a waiting heir, or release the lane and start whoever should run next.
   * An heir already on its way (still booting) claims the released lane itself: starting another copy
   * for it would only add a process that is declined (and, on a loaded host, slow every boot down).
   */
  async function handOff(): Promise<Stop> {
    const handed = await call(ports, 'hand_off_export_lane', lease, outcomeSchema);
    if (handed.outcome === 'lease_lost') return new Stop('lease_lost');
    const isThisLane = (l: LaneToStart) => l.job_id === jobId && l.lane_no === lane.lane_no;
    return new Stop(
      'handoff',
      (handed.kick ?? []).filter((l) => !(heirRequested && isThisLane(l))),
    );
  }
}

function sourceChanged(rerun: Rerun, rows: number): ExportError {
  const range = `keys after ${rerun.key_after ?? 'the start'} up to ${rerun.key_last}`;
  return new ExportError(
    'source_changed',
    `Shard ${rerun.shard_no} (${range}) was written with ${rerun.rows} rows; the source now has ${rows} rows there${
      rows === rerun.rows ? ' with different content' : ''
    }. Re-running it would mix two versions of the data in one file: start a new export instead.`,
    false,
  );
}

/**
 * Claims the lane, or — started as an heir — warms up, registers and waits for the predecessor's baton.
 * The warm-up runs the lane's current page through the same code a real page takes (fetched, encoded,
 * hashed, dropped) before registering: a fresh isolate is slow on its first pages (cold code, cold
 * connections), and the holder passes the baton as soon as an heir is registered. When the predecessor
 * announces where its last page ends, the heir reads its own first page from there (fetched and encoded,
 * not written) and waits on; with the baton it then only uploads and records.
 */
async function takeLease(
  request: WorkerRequest,
  ports: WorkerPorts,
  settings: WorkerSettings,
  meter: CpuMeter,
): Promise<{ claim: Claim; readAhead?: ReadAhead }> {
  if (request.heirOf !== undefined && request.lane !== undefined) {
    const preview = await call(
      ports,
      'preview_export_heir',
      { p_job_id: request.jobId, p_lane_no: request.lane, p_predecessor: request.heirOf },
      previewSchema,
    );
    if (preview.available && preview.job && preview.lane) await warmUp(preview.job, preview.lane, ports, meter);
    const registered = await call(
      ports,
      'register_export_heir',
      { p_job_id: request.jobId, p_lane_no: request.lane, p_predecessor: request.heirOf },
      registeredSchema,
    );
    if (registered.registered && registered.invocation_id !== undefined) {
      const { job, lane } = registered;
      const waitUntil = Date.now() + HEIR_WAIT_MS;
      let readAhead: ReadAhead | undefined;
      let seenAfterKey: bigint | null = null;
      let pollEveryMs = BATON_POLL_FIRST_MS;
      for (;;) {
        const answer: Claim = await call(
          ports,
          'poll_export_baton',
          {
            p_job_id: request.jobId,
            p_lane_no: request.lane,
            p_invocation_id: registered.invocation_id,
            p_seen_after_key: keyArg(seenAfterKey),
            p_give_up: Date.now() >= waitUntil,
          },
          claimSchema,
        );
        if (answer.claimed || (answer.reason !== 'announced' && answer.reason !== 'waiting')) {
          return { claim: answer, readAhead };
        }
        if (answer.reason === 'announced' && answer.after_key !== undefined) {
          const afterKey: bigint = answer.after_key;
          seenAfterKey = afterKey;
          if (job && lane) readAhead = { afterKey, page: readPageAhead(ports, job, afterKey, lane.key_upper, meter) };
          pollEveryMs = BATON_POLL_FIRST_MS;
        }
        await new Promise((resolve) => setTimeout(resolve, pollEveryMs));
        pollEveryMs = Math.min(BATON_POLL_MAX_MS, pollEveryMs * 1.5);
      }
    }
  }
  const claim = await call(
    ports,
    'claim_export_lane',
    {
      p_job_id: request.jobId,
      p_lane_no: request.lane ?? null,
      p_lease_seconds: settings.leaseSeconds,
      p_budget: request.budget ?? null,
    },
    claimSchema,
  );
  return { claim };
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
    return { ...page, shard: await shardOf(job, page, meter) };
  } catch (error) {
    ports.log(`reading ahead failed (the page is fetched again with the baton): ${String(error)}`);
    return null;
  }
}

/**
 * The lane's first tail page: the one read ahead when it starts exactly where the lane's cursor is (the
 * baton came from the predecessor that announced it), else a fresh fetch.
 */
function firstTailPage(
  readAhead: ReadAhead | undefined,
  cursor: bigint | null,
  fetch: () => Promise<Page>,
): Promise<Page> {
  if (!readAhead || readAhead.afterKey !== cursor) return fetch();
  return readAhead.page.then((page) => page ?? fetch());
}

/** One keyset page of a lane: the documents after `afterKey`, up to `lastKey` (null: unbounded). */
async function fetchLanePage(
  ports: WorkerPorts,
  job: ClaimedJob,
  afterKey: bigint | null,
  lastKey: bigint | null,
): Promise<Page> {
  const documents = await ports.searchPage({
    collection: job.collection,
    filterBy: composePageFilter({
      keyField: job.key_field,
      mandatoryFilter: job.mandatory_filter,
      userFilter: job.filter,
      afterKey,
      lastKey,
    }),
    sortBy: `${job.key_field}:asc`,
    perPage: job.page_size,
    includeFields: job.fields.includes(job.key_field) ? job.fields : [...job.fields, job.key_field],
  });
  if (documents.length === 0) return { documents, lastKey: null };
  // Exact: a key above 2^53 arrives as a raw JSON number (exact-json-adapter.ts), read as a bigint.
  const last = integerOf(documents[documents.length - 1]?.[job.key_field]);
  if (last === undefined) {
    throw new ExportError('schema_mismatch', `Record without an integer ${job.key_field}: cannot page on it.`, false);
  }
  return { documents, lastKey: last };
}

/** The page's shard: encoded already when the heir read the page ahead, else encoded now. */
function shardOf(job: ClaimedJob, page: Page, meter: CpuMeter): Promise<PreparedShard> {
  return page.shard ? Promise.resolve(page.shard) : prepareShard(job, page.documents, meter);
}

/**
 * Encodes a page as the file's bytes and as the gzip member stored; the manifest keeps both forms' sizes
 * and checksums (the plain ones make the file byte-identical and let a re-run compare; the download
 * verifies the stored ones).
 */
async function prepareShard(
  job: ClaimedJob,
  documents: readonly ExportDocument[],
  meter: CpuMeter,
): Promise<PreparedShard> {
  // The bulk of a page's CPU (~12 ms of ~15 ms a 250-record page): timed, for the meter's estimate. The
  // digests below run off the isolate's thread (Web Crypto in Deno is an async op on its blocking pool).
  const { encoded, gzipped } = meter.time(() => {
    const encoded = encodeShard(documents, {
      format: job.format,
      fields: job.fields,
      neutraliseFormulas: job.neutralise_formulas,
    });
    return { encoded, gzipped: gzipShard(encoded) };
  });
  return { encoded, sha256: await sha256Hex(encoded.bytes), gzipped, gzipSha256: await sha256Hex(gzipped.bytes) };
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
