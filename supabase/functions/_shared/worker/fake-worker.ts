/**
 * Test doubles for the worker's parts, used by the unit tests beside them (never by the Edge Function):
 *
 * - FakeClock: virtual time. Timers fire in time order, one at a time, only once nothing else can move,
 *   so a test of minutes of wall time runs in milliseconds and the same way every time.
 * - FakeMeter: the CPU meter, charging what the test says per timed piece of work and per exchange.
 * - FakeWorld: one job of one lane — a Typesense-like page source over an array of keyed documents,
 *   storage as a Map of keys, and the state machine's answers as the SQL functions give them
 *   (supabase/schema.sql), lease expiry included — behind WorkerPorts, every call logged with its
 *   start and end and any one of them made to throw, hang, or lose its answer.
 *
 * The digests must not leave the microtask queue for the clock to know when nothing can move: tests mock
 * ../sha256.ts with instant-sha256.ts.
 */
import { createHash } from 'node:crypto';
import { setImmediate } from 'node:timers';
import type { CpuMeter } from '../cpu-meter.ts';
import { ExportError } from '../export-error.ts';
import { encodeShard, type ExportDocument, type ExportFormat } from '../export-format.ts';
import { gzipShard } from '../gzip-shard.ts';
import { shardStorageKey } from '../shard-key.ts';
import type { Int64Digits, RpcArgs, RpcName } from '../worker-rpc-args.ts';
import { parseWorkerSettings, type WorkerSettings } from '../worker-settings.ts';
import type { LeaseArgs } from './held-lease.ts';
import type { SearchPageRequest, WorkerClock, WorkerPorts, WorkerRequest } from './ports.ts';
import { runExportInvocation, type InvocationResult } from './run-export-invocation.ts';

// ————————————————————————————————————————— clock and meter —————————————————————————————————————————

type Timer = { at: number; order: number; fire: () => void; cancelled: boolean };

export class FakeClock implements WorkerClock {
  private time = 0;
  private order = 0;
  private timers: Timer[] = [];

  now = (): number => this.time;

  sleep = (ms: number): Promise<void> => new Promise((resolve) => this.schedule(ms, resolve));

  every = (ms: number, tick: () => void): (() => void) => {
    let current: Timer;
    const arm = () => {
      current = this.schedule(ms, () => {
        arm();
        tick();
      });
    };
    arm();
    return () => {
      current.cancelled = true;
    };
  };

  /** Runs `action` once `ms` of virtual time have passed. */
  schedule(ms: number, action: () => void): Timer {
    const timer = { at: this.time + Math.max(0, ms), order: this.order++, fire: action, cancelled: false };
    this.timers.push(timer);
    return timer;
  }

  /**
   * Drives `work` to its end: whenever every promise that can settle has settled, the earliest timer
   * fires. `hung`: nothing left to fire (a port that never answers), or `limitMs` of virtual time passed.
   */
  async run<T>(work: Promise<T>, limitMs: number): Promise<{ settled: true; value: Promise<T> } | { settled: false }> {
    let settled = false;
    work.then(
      () => (settled = true),
      () => (settled = true),
    );
    for (;;) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (settled) return { settled: true, value: work };
      this.timers = this.timers.filter((t) => !t.cancelled);
      this.timers.sort((a, b) => a.at - b.at || a.order - b.order);
      const next = this.timers.shift();
      if (!next || next.at > limitMs) return { settled: false };
      this.time = next.at;
      next.fire();
    }
  }
}

export class FakeMeter implements CpuMeter {
  readonly source = 'estimate' as const;
  cpuMs = 0;

  readonly perRequestMs: number;

  constructor(private readonly costs: { timedWorkMs: number; exchangeMs: number; requestMs?: number }) {
    this.perRequestMs = costs.requestMs ?? 0;
  }

  usedMs = (): number => this.cpuMs;

  time = <T>(work: () => T): T => {
    this.cpuMs += this.costs.timedWorkMs;
    return work();
  };

  countExchange = (): void => {
    this.cpuMs += this.costs.exchangeMs;
  };
}

// ————————————————————————————————————————————— the world —————————————————————————————————————————————

export const JOB_ID = '00000000-0000-4000-8000-000000000001';
export const ORG_ID = '00000000-0000-4000-8000-0000000000aa';
export const KEY_FIELD = 'hs_object_id';
const COLLECTION = 'blog_posts';

/** Invocation ids, in the order the fake state machine hands them out. */
const invocationId = (n: number) => `00000000-0000-4000-8000-${n.toString().padStart(12, '0')}`;

/** Documents with keys 10, 20, 30, …: a key between two of them is never a document's. */
export const keyedDocuments = (count: number): ExportDocument[] =>
  Array.from({ length: count }, (_, i) => ({ [KEY_FIELD]: (i + 1) * 10, title: `Post ${i + 1}` }));

export type PortName = 'rpc' | 'search' | 'upload' | 'remove' | 'list';

/** One port call: its order among all calls, what it was, and (for shard writes) the lane_seq. */
export type PortCall = { index: number; port: PortName; fn?: string; laneSeq?: number; args?: Record<string, unknown> };

/** A call of a database function, its arguments typed by its name (a union over every function). */
type RpcCall = { [F in RpcName]: { fn: F; args: RpcArgs<F> } }[RpcName];

/** A key argument as the database reads it. */
const keyOf = (digits: Int64Digits | null | undefined) => (digits == null ? null : BigInt(digits));

export type PortEvent = PortCall & { t: number; phase: 'start' | 'end' | 'fail' };

/** throws: fails before doing anything; hangs: never answers; answer_lost: does it, then fails. */
export type FaultKind = 'throws' | 'hangs' | 'answer_lost';

export type FakeShard = {
  shardNo: number;
  laneSeq: number;
  keyAfter: bigint | null;
  keyLast: bigint;
  rows: number;
  sha256: string;
  storageKey: string;
  generation: number;
  status: 'written' | 'rerun_requested';
};

export type FakeInvocation = { id: string; endReason?: string; error?: string | null; wallMs?: number; cpuMs?: number };

type RecordOutcome = 'recorded' | 'passed' | 'yielded' | 'cancel_requested' | 'lease_lost' | 'stopped';

export type WorldOptions = {
  documents?: ExportDocument[];
  pageSize?: number;
  format?: ExportFormat;
  /** The lane's last key (null: unbounded). */
  keyUpper?: bigint | null;
  /** The job's user filter (the fake source ignores it). */
  filter?: string | null;
  settings?: Partial<WorkerSettings>;
  /** Virtual latency of each kind of call, ms. */
  latency?: Partial<Record<PortName | 'record', number>>;
  meter?: { timedWorkMs: number; exchangeMs: number; requestMs?: number };
  bootMs?: number;
};

export type RunOutcome =
  { kind: 'ended'; result: InvocationResult } | { kind: 'crashed'; error: unknown } | { kind: 'hung' };

export class FakeWorld {
  readonly clock = new FakeClock();
  readonly meter: FakeMeter;
  readonly settings: WorkerSettings;
  readonly pageSize: number;
  readonly format: ExportFormat;
  readonly filter: string | null;
  documents: ExportDocument[];
  readonly storage = new Map<string, Uint8Array>();
  readonly latency: Record<PortName | 'record', number>;

  // The state machine: one job, one lane.
  jobStatus: 'running' | 'completed' | 'failed' | 'cancelled' = 'running';
  cancelRequested = false;
  laneStatus: 'queued' | 'running' | 'retrying' | 'completed' | 'failed' | 'cancelled' = 'queued';
  owner: string | null = null;
  generation = 0;
  leaseExpiresAt = 0;
  heir: string | null = null;
  batonAfterKey: bigint | null = null;
  cursor: bigint | null = null;
  nextSeq = 1;
  tailComplete = false;
  keyUpper: bigint | null;
  deadGenerations: number[] = [];
  deadSeqs: number[] = [];
  /** pass_lane yields the slot instead of passing to the heir (a waiting lane deserves it more). */
  yieldOnPass = false;
  cleanupDue = false;
  readonly shards: FakeShard[] = [];
  readonly invocations = new Map<string, FakeInvocation>();
  private invocationCount = 100;

  // What happened.
  readonly calls: PortCall[] = [];
  readonly events: PortEvent[] = [];
  readonly copiesStarted: WorkerRequest[] = [];
  readonly leasesTold: LeaseArgs[] = [];
  readonly logs: string[] = [];
  /** The filter of each search, in order. */
  readonly searchFilters: string[] = [];
  /** lane_seq of each committed record, in commit order. */
  readonly recordedSeqs: number[] = [];

  /** Test hooks: a fault for the call with this index; an answer to give instead of the state machine's. */
  fault: { index: number; kind: FaultKind } | null = null;
  beforeAnswer: ((call: PortCall) => void) | null = null;
  recordAnswer: ((laneSeq: number) => RecordOutcome | 'source_changed' | undefined) | null = null;

  readonly ports: WorkerPorts;

  constructor(options: WorldOptions = {}) {
    this.documents = options.documents ?? keyedDocuments(20);
    this.pageSize = options.pageSize ?? 4;
    this.format = options.format ?? 'csv';
    this.keyUpper = options.keyUpper ?? null;
    this.filter = options.filter ?? null;
    this.settings = { ...parseWorkerSettings({}), ...options.settings };
    this.latency = { rpc: 2, record: 10, search: 10, upload: 20, remove: 2, list: 2, ...options.latency };
    this.meter = new FakeMeter(options.meter ?? { timedWorkMs: 0, exchangeMs: 0 });
    this.ports = {
      rpc: (fn, args) => {
        // tsc cannot narrow a generic name: as the union, `call.fn` says what `call.args` are.
        const call = { fn, args } as RpcCall;
        const record = call.fn === 'record_export_shard';
        return this.call(
          { port: 'rpc', fn, args, laneSeq: record ? call.args.p_lane_seq : undefined },
          record ? this.latency.record : this.latency.rpc,
          () => this.answer(call),
        );
      },
      searchPage: (request) => {
        this.searchFilters.push(request.filterBy);
        return this.call({ port: 'search', args: { filterBy: request.filterBy } }, this.latency.search, () =>
          this.search(request),
        );
      },
      uploadShard: (key, bytes) =>
        this.call({ port: 'upload', laneSeq: laneSeqOf(key), args: { key } }, this.latency.upload, () => {
          this.storage.set(key, bytes);
        }),
      removeObjects: (keys) =>
        this.call({ port: 'remove', args: { keys } }, this.latency.remove, () => {
          for (const key of keys) this.storage.delete(key);
        }),
      listObjects: (folder) =>
        this.call({ port: 'list' }, this.latency.list, () =>
          [...this.storage.keys()].filter((key) => key.startsWith(`${folder}/`)),
        ),
      startCopy: (request) => {
        this.copiesStarted.push(request);
      },
      heapUsedBytes: () => 1_000_000,
      bootMs: options.bootMs ?? 300,
      log: (message) => {
        this.logs.push(message);
      },
    };
  }

  /** Runs one invocation to its end (or until it hangs, or `limitMs` of virtual time). */
  async run(request: Partial<WorkerRequest> = {}, limitMs = 600_000): Promise<RunOutcome> {
    const work = runExportInvocation(
      { jobId: JOB_ID, lane: 1, ...request },
      {
        ports: this.ports,
        settings: this.settings,
        meter: this.meter,
        cpuAtRequest: this.meter.usedMs(),
        onLease: (lease) => this.leasesTold.push(lease),
        clock: this.clock,
      },
    );
    const ran = await this.clock.run(work, limitMs);
    if (!ran.settled) return { kind: 'hung' };
    try {
      return { kind: 'ended', result: await ran.value };
    } catch (error) {
      return { kind: 'crashed', error };
    }
  }

  // ——— set-ups ———

  /**
   * The lane's first `pages` pages as an earlier invocation (generation 1, now gone) wrote them: manifest
   * rows and objects, the cursor after them.
   */
  seedShards(pages: number): void {
    this.generation = Math.max(this.generation, 1);
    for (let i = 0; i < pages; i += 1) {
      const documents = this.documents.slice(i * this.pageSize, (i + 1) * this.pageSize);
      const encoded = encodeShard(documents, { format: this.format, fields: this.fields(), neutraliseFormulas: true });
      const laneSeq = i + 1;
      const keyLast = BigInt(documents[documents.length - 1]![KEY_FIELD] as number);
      const storageKey = this.shardKey(laneSeq, 1);
      this.shards.push({
        shardNo: laneSeq,
        laneSeq,
        keyAfter: this.cursor,
        keyLast,
        rows: documents.length,
        sha256: createHash('sha256').update(encoded.bytes).digest('hex'),
        storageKey,
        generation: 1,
        status: 'written',
      });
      this.storage.set(storageKey, gzipShard(encoded).bytes);
      this.cursor = keyLast;
      this.nextSeq = laneSeq + 1;
    }
  }

  /** The lane held by another invocation (a predecessor the worker may be the heir of). */
  holdBy(holder: string): void {
    this.owner = holder;
    this.generation += 1;
    this.leaseExpiresAt = this.clock.now() + this.settings.leaseSeconds * 1000;
    this.laneStatus = 'running';
    this.invocations.set(holder, { id: holder });
  }

  /** The holder records its last shard, after `afterKey`'s page, and passes the lease to the heir. */
  passBatonToHeir(lastKey: bigint, rows: number): void {
    this.shards.push({
      shardNo: this.shards.length + 1,
      laneSeq: this.nextSeq,
      keyAfter: this.cursor,
      keyLast: lastKey,
      rows,
      sha256: 'holder',
      storageKey: this.shardKey(this.nextSeq, this.generation),
      generation: this.generation,
      status: 'written',
    });
    this.storage.set(this.shardKey(this.nextSeq, this.generation), new Uint8Array([1]));
    this.cursor = lastKey;
    this.nextSeq += 1;
    this.owner = this.heir;
    this.heir = null;
    this.generation += 1;
    this.leaseExpiresAt = this.clock.now() + this.settings.leaseSeconds * 1000;
  }

  /** Another invocation registers as the heir of the current holder. */
  registerHeir(): string {
    this.heir = this.newInvocation();
    this.batonAfterKey = null;
    return this.heir;
  }

  // ——— what tests read ———

  shardKey(laneSeq: number, generation: number): string {
    return shardStorageKey({
      organisationId: ORG_ID,
      jobId: JOB_ID,
      lane: 1,
      laneSeq,
      generation,
      format: this.format,
      encoding: 'gzip',
    });
  }

  /** The keys the manifest names (a shard waiting for its re-run still names its old object). */
  manifestKeys(): string[] {
    return this.shards.map((s) => s.storageKey).sort();
  }

  storageKeys(): string[] {
    return [...this.storage.keys()].sort();
  }

  eventsOf(port: PortName, fn?: string): PortEvent[] {
    return this.events.filter((e) => e.port === port && (fn === undefined || e.fn === fn));
  }

  rpcCalls<F extends RpcName>(fn: F): (PortCall & { args: RpcArgs<F> })[] {
    return this.calls.filter((c): c is PortCall & { args: RpcArgs<F> } => c.port === 'rpc' && c.fn === fn);
  }

  // ——— the ports' insides ———

  private fields(): string[] {
    return [KEY_FIELD, 'title'];
  }

  private newInvocation(): string {
    const id = invocationId(this.invocationCount++);
    this.invocations.set(id, { id });
    return id;
  }

  private async call<T>(label: Omit<PortCall, 'index'>, latencyMs: number, effect: () => T): Promise<T> {
    const call: PortCall = { index: this.calls.length, ...label };
    this.calls.push(call);
    const fault = this.fault?.index === call.index ? this.fault.kind : null;
    this.events.push({ ...call, t: this.clock.now(), phase: 'start' });
    if (fault === 'hangs') return new Promise<never>(() => {});
    await this.clock.sleep(latencyMs);
    const fail = () => {
      this.events.push({ ...call, t: this.clock.now(), phase: 'fail' });
      return faultError(call.port);
    };
    if (fault === 'throws') {
      // Removing objects is best effort: the Edge Function's port logs a failure and goes on.
      if (call.port === 'remove') return undefined as T;
      throw fail();
    }
    let value: T;
    try {
      this.beforeAnswer?.(call);
      value = effect();
    } catch (error) {
      this.events.push({ ...call, t: this.clock.now(), phase: 'fail' });
      throw error;
    }
    if (fault === 'answer_lost') {
      if (call.port === 'remove') return undefined as T;
      throw fail();
    }
    this.events.push({ ...call, t: this.clock.now(), phase: 'end' });
    return value;
  }

  private search(request: SearchPageRequest): ExportDocument[] {
    const after = /hs_object_id:>(-?\d+)/.exec(request.filterBy)?.[1];
    const upTo = /hs_object_id:<=(-?\d+)/.exec(request.filterBy)?.[1];
    return this.documents
      .filter((d) => {
        const key = BigInt(d[KEY_FIELD] as number);
        return (after === undefined || key > BigInt(after)) && (upTo === undefined || key <= BigInt(upTo));
      })
      .sort((a, b) => (a[KEY_FIELD] as number) - (b[KEY_FIELD] as number))
      .slice(0, request.perPage)
      .map((d) => ({ ...d }));
  }

  private leaseHeld(args: Pick<LeaseArgs, 'p_invocation_id' | 'p_generation'>): boolean {
    return (
      this.owner === args.p_invocation_id &&
      this.generation === args.p_generation &&
      this.leaseExpiresAt >= this.clock.now()
    );
  }

  private renewLease(): void {
    this.leaseExpiresAt = this.clock.now() + this.settings.leaseSeconds * 1000;
  }

  private ended(): boolean {
    return this.jobStatus !== 'running';
  }

  private laneWork(invocation: string) {
    return {
      claimed: true,
      invocation_id: invocation,
      generation: this.generation,
      job: {
        id: JOB_ID,
        organisation_id: ORG_ID,
        collection: COLLECTION,
        key_field: KEY_FIELD,
        mandatory_filter: null,
        filter: this.filter,
        fields: this.fields(),
        format: this.format,
        page_size: this.pageSize,
        neutralise_formulas: true,
        budget: {},
      },
      lane: {
        lane_no: 1,
        key_after: null,
        key_upper: this.keyUpper?.toString() ?? null,
        cursor_key: this.cursor?.toString() ?? null,
        next_seq: this.nextSeq,
        tail_complete: this.tailComplete,
        dead_generations: this.deadGenerations,
        dead_seqs: this.deadSeqs,
      },
      reruns: this.shards
        .filter((s) => s.status === 'rerun_requested')
        .sort((a, b) => a.laneSeq - b.laneSeq)
        .map((s) => ({
          shard_no: s.shardNo,
          lane_seq: s.laneSeq,
          key_after: s.keyAfter?.toString() ?? null,
          key_last: s.keyLast.toString(),
          rows: s.rows,
          sha256: s.sha256,
        })),
    };
  }

  /** Releases the lease (the lane waits for a claim). */
  private release(status: FakeWorld['laneStatus']): void {
    this.owner = null;
    this.heir = null;
    this.laneStatus = status;
  }

  private passLane(): { outcome: 'passed' } | { outcome: 'yielded'; kick: unknown[] } | null {
    if (this.heir === null) return null;
    if (this.yieldOnPass) {
      this.release('queued');
      return { outcome: 'yielded', kick: [{ job_id: JOB_ID, lane_no: 2 }] };
    }
    this.owner = this.heir;
    this.heir = null;
    this.generation += 1;
    this.renewLease();
    return { outcome: 'passed' };
  }

  /** The state machine's answer to a call, as the SQL function gives it (supabase/schema.sql). */
  private answer({ fn, args }: RpcCall): unknown {
    switch (fn) {
      case 'claim_export_lane': {
        const decline = (reason: string) => {
          const id = this.newInvocation();
          this.invocations.get(id)!.endReason = reason === 'cancelled' ? 'cancelled' : 'declined';
          return { claimed: false, reason, invocation_id: id, kick: [] };
        };
        if (this.ended()) return decline(this.jobStatus === 'cancelled' ? 'cancelled' : 'finished');
        if (this.cancelRequested) return decline('cancelling');
        if (this.owner !== null && this.leaseExpiresAt >= this.clock.now()) return decline('leased');
        if (this.laneStatus === 'completed') return decline('finished');
        const id = this.newInvocation();
        this.owner = id;
        this.heir = null;
        this.generation += 1;
        this.laneStatus = 'running';
        this.renewLease();
        return this.laneWork(id);
      }
      case 'preview_export_heir':
        return this.owner !== null &&
          this.owner === args.p_predecessor &&
          this.heir === null &&
          this.leaseExpiresAt >= this.clock.now()
          ? { available: true, ...pick(this.laneWork(this.owner), 'job', 'lane') }
          : { available: false };
      case 'register_export_heir': {
        if (this.owner !== args.p_predecessor || this.heir !== null || this.leaseExpiresAt < this.clock.now()) {
          return { registered: false };
        }
        const id = this.registerHeir();
        return { registered: true, invocation_id: id, ...pick(this.laneWork(id), 'job', 'lane') };
      }
      case 'poll_export_baton': {
        const id = args.p_invocation_id;
        if (this.owner === id) return this.laneWork(id);
        if (this.heir === id) {
          const seen = keyOf(args.p_seen_after_key);
          if (this.batonAfterKey !== null && this.batonAfterKey !== seen) {
            return { claimed: false, reason: 'announced', invocation_id: id, after_key: this.batonAfterKey.toString() };
          }
          if (args.p_give_up !== true) return { claimed: false, reason: 'waiting', invocation_id: id };
        }
        const wasHeir = this.heir === id;
        if (wasHeir) this.heir = null;
        this.invocations.get(id)!.endReason = 'declined';
        return { claimed: false, reason: wasHeir ? 'heir_timeout' : 'not_passed', invocation_id: id };
      }
      case 'announce_export_baton': {
        const announced = this.leaseHeld(args) && this.heir !== null;
        if (announced) this.batonAfterKey = keyOf(args.p_after_key);
        return { announced };
      }
      case 'heartbeat_export_lane': {
        if (!this.leaseHeld(args)) return { held: false };
        this.renewLease();
        return { held: !this.ended() };
      }
      case 'record_export_shard':
        return this.record(args);
      case 'hand_off_export_lane': {
        if (!this.leaseHeld(args)) return { outcome: 'lease_lost' };
        const passed = this.passLane();
        if (passed) return passed;
        this.release('queued');
        return { outcome: 'released', kick: [{ job_id: JOB_ID, lane_no: 1 }] };
      }
      case 'finish_export_lane': {
        if (this.ended()) return { outcome: 'stopped' };
        if (!this.leaseHeld(args)) return { outcome: 'lease_lost' };
        if (this.cancelRequested) return { outcome: 'cancel_requested' };
        if (this.shards.some((s) => s.status === 'rerun_requested')) {
          throw new ExportError(
            'database_failed',
            'finish_export_lane: lane 1 still has shards waiting for a re-run',
            true,
          );
        }
        this.release('completed');
        this.tailComplete = true;
        this.jobStatus = 'completed';
        this.cleanupDue = true;
        this.invocations.get(args.p_invocation_id)!.endReason = 'completed';
        const rows = this.shards.reduce((sum, s) => sum + s.rows, 0);
        return {
          outcome: 'completed',
          job_status: 'completed',
          rows_written: rows,
          estimated_rows: this.documents.length,
          storage_keys: this.shards.map((s) => s.storageKey),
          kick: [],
        };
      }
      case 'acknowledge_export_cancel': {
        if (!this.leaseHeld(args) || !this.cancelRequested) return { acknowledged: false };
        this.release('cancelled');
        this.jobStatus = 'cancelled';
        this.cleanupDue = true;
        return { acknowledged: true, job_status: 'cancelled', kick: [] };
      }
      case 'fail_export_lane': {
        if (!this.leaseHeld(args)) return { outcome: 'lease_lost' };
        const retry = args.p_retryable === true;
        this.release(retry ? 'retrying' : 'failed');
        if (!retry) this.jobStatus = 'failed';
        return { outcome: retry ? 'retrying' : 'failed', kick: [] };
      }
      case 'end_export_invocation': {
        const invocation = this.invocations.get(args.p_invocation_id)!;
        if (invocation.endReason === undefined || invocation.endReason === args.p_end_reason) {
          Object.assign(invocation, {
            endReason: args.p_end_reason,
            error: args.p_error,
            wallMs: args.p_wall_ms,
            cpuMs: args.p_cpu_ms,
          });
        }
        return null;
      }
      case 'begin_export_cleanup':
        if (!this.cleanupDue) return { taken: false };
        this.cleanupDue = false;
        return { taken: true, organisation_id: ORG_ID, lane_count: 1 };
      case 'unreferenced_export_objects': {
        const named = new Set(this.manifestKeys());
        return args.p_keys.filter((k) => !named.has(k));
      }
      case 'end_export_cleanup':
        return null;
      default:
        throw new Error(`the fake state machine has no ${fn}`);
    }
  }

  private record(args: RpcArgs<'record_export_shard'>): unknown {
    if (this.ended()) return { outcome: 'stopped' };
    if (!this.leaseHeld(args)) return { outcome: 'lease_lost' };
    if (this.cancelRequested) return { outcome: 'cancel_requested' };
    const laneSeq = args.p_lane_seq;
    const scripted = this.recordAnswer?.(laneSeq);
    if (scripted === 'source_changed') {
      return { outcome: 'source_changed', detail: `Shard ${laneSeq}: the source changed (scripted).` };
    }
    if (scripted === 'cancel_requested' || scripted === 'lease_lost' || scripted === 'stopped') {
      return { outcome: scripted };
    }
    const keyAfter = keyOf(args.p_key_after);
    const keyLast = BigInt(args.p_key_last);
    if (args.p_shard_no !== null) {
      const shard = this.shards.find((s) => s.shardNo === args.p_shard_no);
      if (!shard || shard.status !== 'rerun_requested' || shard.laneSeq !== laneSeq || shard.keyLast !== keyLast) {
        throw new ExportError(
          'database_failed',
          `record_export_shard: shard ${laneSeq} is not waiting for a re-run`,
          true,
        );
      }
      if (shard.rows !== args.p_rows || shard.sha256 !== args.p_sha256) {
        return { outcome: 'source_changed', detail: `Shard ${shard.shardNo} changed.` };
      }
      Object.assign(shard, { storageKey: args.p_storage_key, generation: this.generation, status: 'written' });
    } else {
      if (laneSeq !== this.nextSeq || keyAfter !== this.cursor || (this.keyUpper !== null && keyLast > this.keyUpper)) {
        throw new ExportError(
          'database_failed',
          `record_export_shard: shard ${laneSeq} does not continue the lane (next ${this.nextSeq}, cursor ${this.cursor})`,
          true,
        );
      }
      this.shards.push({
        shardNo: this.shards.length + 1,
        laneSeq,
        keyAfter,
        keyLast,
        rows: args.p_rows,
        sha256: args.p_sha256,
        storageKey: args.p_storage_key,
        generation: this.generation,
        status: 'written',
      });
      this.cursor = keyLast;
      this.nextSeq += 1;
    }
    this.recordedSeqs.push(laneSeq);
    this.renewLease();
    let answer: Record<string, unknown> = { outcome: 'recorded' };
    if (scripted === 'passed') {
      if (this.heir === null) this.registerHeir();
      answer = this.passLane() ?? answer;
    } else if (scripted === 'yielded') {
      this.release('queued');
      answer = { outcome: 'yielded', kick: [{ job_id: JOB_ID, lane_no: 2 }] };
    } else if (args.p_pass_to_heir === true) {
      answer = this.passLane() ?? answer;
    }
    return { ...answer, heir_waiting: answer.outcome === 'recorded' && this.heir !== null };
  }
}

/** The lane_seq in a shard object's key (`…/shard-000042.g7.csv.gz`). */
export function laneSeqOf(key: string): number {
  return Number(/shard-(\d+)\./.exec(key)?.[1]);
}

function faultError(port: PortName): ExportError {
  switch (port) {
    case 'rpc':
      return new ExportError('database_failed', 'injected: the database did not answer', true);
    case 'search':
      return new ExportError('source_unavailable', 'injected: the source did not answer', true);
    default:
      return new ExportError('storage_failed', 'injected: storage did not answer', true);
  }
}

function pick<T extends object, K extends keyof T>(value: T, ...keys: K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((k) => [k, value[k]])) as Pick<T, K>;
}
