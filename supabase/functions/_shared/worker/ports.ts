import type { CpuMeter } from '../cpu-meter.ts';
import type { ExportDocument } from '../export-format.ts';
import type { RpcArgs, RpcName } from '../worker-rpc-args.ts';
import type { Budget } from '../worker-settings.ts';

/**
 * Everything the worker touches outside itself, injected: the Edge Function passes the official clients
 * (export-worker/index.ts), a test may pass fakes, and the same parts run on either.
 */

export type SearchPageRequest = {
  collection: string;
  /** The job's mandatory filter: embedded in the scoped key the page is searched with, never in `filterBy`. */
  mandatoryFilter: string | null;
  /** The page's own filter (the user's, and the keyset bounds). */
  filterBy: string;
  sortBy: string;
  perPage: number;
  includeFields: readonly string[];
};

/** What starts a worker: a job, optionally one lane of it, optionally as the heir of a running invocation. */
export type WorkerRequest = { jobId: string; lane?: number; heirOf?: string; budget?: Budget };

export type WorkerPorts = {
  /**
   * Calls a database function with its arguments as they travel (worker-rpc-args.ts); throws
   * ExportError('database_failed') when the call fails. The answer is whatever came back: read it with its
   * schema (callState, parseRpcResult), which is where its shape is checked.
   */
  rpc: <F extends RpcName>(fn: F, args: RpcArgs<F>) => Promise<unknown>;
  /**
   * One keyset page, searched under a key scoped to the request's collection and mandatory filter
   * (scoped-search-page.ts); throws ExportError (source_unavailable / source_rejected).
   */
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

/** Wall time and waiting: the system's in the Edge Function, a virtual one in the unit tests. */
export type WorkerClock = {
  /** Milliseconds since some fixed moment (Date.now()). */
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Calls `tick` every `ms` until the function it returns is called. */
  every(ms: number, tick: () => void): () => void;
};

export const systemClock: WorkerClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  every: (ms, tick) => {
    const timer = setInterval(tick, ms);
    return () => clearInterval(timer);
  },
};

/** The ports, each network exchange counted on the CPU meter (part of the estimate where there is no clock). */
export function meteredPorts(ports: WorkerPorts, meter: CpuMeter): WorkerPorts {
  const counted =
    <A extends unknown[], R>(call: (...args: A) => R) =>
    (...args: A): R => {
      meter.countExchange();
      return call(...args);
    };
  return {
    ...ports,
    rpc: (fn, args) => {
      meter.countExchange();
      return ports.rpc(fn, args);
    },
    searchPage: counted(ports.searchPage),
    uploadShard: counted(ports.uploadShard),
    removeObjects: counted(ports.removeObjects),
    listObjects: counted(ports.listObjects),
    startCopy: counted(ports.startCopy),
  };
}
