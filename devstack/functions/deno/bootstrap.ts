/**
 * Deno-side half of the devstack Functions service: the main module of every function process. It makes
 * the process what Supabase's Edge Runtime gives a user worker (supabase/edge-runtime
 * `ext/runtime/js/bootstrap.js`, `ext/node/polyfills/process.ts`), then imports the function's own
 * `index.ts` (URL in `Deno.args[0]`), so the function runs unmodified:
 *
 * - `globalThis.EdgeRuntime.waitUntil(p)` keeps the process alive until every such promise settles.
 * - `Deno.serve(...)` is captured: the handler is served on an ephemeral loopback port, which is reported
 *   to the parent (the devstack) on stdout; the parent proxies exactly one request to it.
 * - What a user worker may not do (see `restrictToUserWorker` below): no CPU clock, the file-system
 *   blocklist, `Deno.exit`/`kill`/signal listeners as no-ops, no shared memory, no web workers.
 * - The parent talks back through stdin, one JSON message per line: `response_done` when it has finished
 *   relaying the response, `beforeunload` (with the runtime's reason) shortly before it kills the process
 *   for a limit — the CPU limit among them, measured from outside as the platform does.
 * - The process exits once the response is done AND all waitUntil promises have settled.
 *
 * Control messages to the parent are stdout lines starting with CONTROL_PREFIX (a record separator, which
 * `console.log` output never starts with in practice), so function logs and control share one pipe
 * without a second channel that would need extra permissions. Keep CONTROL_PREFIX in sync with
 * `../control.ts`.
 *
 * This file imports only `node:` built-ins: it must not touch the function's import map or npm resolution.
 */
import process from 'node:process';

const CONTROL_PREFIX = '\u001ebaton-ctl ';

/** The runtime's `ShutdownReason`s (edge-runtime `ext/event_worker/events.rs`), as `detail.reason` carries them. */
type BeforeUnloadReason = 'CPUTime' | 'Memory' | 'WallClockTime' | 'EarlyDrop' | 'TerminationRequested';

type ToParent =
  | { type: 'boot'; rss: number }
  | { type: 'listening'; port: number }
  | { type: 'boot_error'; message: string }
  | { type: 'exit'; reason: string; cpuMs: number | null };

type FromParent = { type: 'response_done' } | { type: 'beforeunload'; reason: BeforeUnloadReason };

type Handler = (request: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>) => Response | Promise<Response>;
type ErrorHandler = (error: unknown) => Response | Promise<Response>;

const encoder = new TextEncoder();

function send(message: ToParent): void {
  const bytes = encoder.encode(`${CONTROL_PREFIX}${JSON.stringify(message)}\n`);
  let written = 0;
  // writeSync may write fewer bytes than asked on a full pipe; a control line must never be split.
  while (written < bytes.length) written += Deno.stdout.writeSync(bytes.subarray(written));
}

// The function gets a `Deno.exit` that does nothing and no file reads after load (below); the bootstrap
// keeps the real ones.
const realExit = Deno.exit.bind(Deno);
const readTextFileSync = Deno.readTextFileSync.bind(Deno);

/**
 * CPU time (user + system, 10 ms ticks) of this process's main thread, where the isolate runs: what the
 * platform's CPU limit counts, read as the parent's watchdog reads it (`../process-stats.ts`). Null
 * without /proc.
 */
function mainThreadCpuMs(): number | null {
  try {
    const stat = readTextFileSync(`/proc/self/task/${Deno.pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}
/** The main thread's CPU when the function started serving: its CPU limit counts from there. */
let cpuAtListen: number | null = null;

function exitNow(reason: string, code = 0): never {
  const cpu = mainThreadCpuMs();
  send({ type: 'exit', reason, cpuMs: cpu !== null && cpuAtListen !== null ? cpu - cpuAtListen : null });
  realExit(code);
}

// The hosted runtime's memory figure is about the isolate, not the whole process: the parent subtracts
// this boot RSS (≈30–35 MB for Deno itself) before comparing with the configured memory cap.
send({ type: 'boot', rss: Deno.memoryUsage().rss });

// ---- EdgeRuntime.waitUntil -------------------------------------------------------------------------

const pending = new Set<Promise<unknown>>();
let responseDone = false;

function maybeExit(): void {
  if (responseDone && pending.size === 0) exitNow('done');
}

const edgeRuntime = {
  waitUntil<T>(promise: Promise<T>): Promise<T> {
    const tracked = Promise.resolve(promise);
    pending.add(tracked);
    const settle = () => {
      pending.delete(tracked);
      // A macrotask later, so work chained on the same promise by the function still runs first.
      setTimeout(maybeExit, 0);
    };
    tracked.then(settle, settle);
    return promise;
  },
};
Object.defineProperty(globalThis, 'EdgeRuntime', { value: edgeRuntime, writable: false, configurable: false });

// ---- Deno.serve capture ----------------------------------------------------------------------------

const realServe = Deno.serve.bind(Deno) as (
  options: Deno.ServeTcpOptions,
  handler: Handler,
) => Deno.HttpServer<Deno.NetAddr>;
let served = false;

type ServeOptionsLike = { handler?: unknown; onError?: unknown };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Same body as the CLI gateway for a function that fails while handling a request (`WORKER_ERROR`). */
function workerErrorResponse(): Response {
  return Response.json(
    { code: 'WORKER_ERROR', message: 'Function exited due to an error (please check logs)' },
    { status: 500 },
  );
}

function patchedServe(...args: unknown[]): Deno.HttpServer<Deno.NetAddr> {
  const [first, second] = args;
  const options: ServeOptionsLike = isRecord(first) ? first : {};
  const handler = typeof first === 'function' ? first : typeof second === 'function' ? second : options.handler;
  if (typeof handler !== 'function') throw new TypeError('Deno.serve() needs a handler function');
  if (served) throw new Error('[devstack] Deno.serve() was called twice; an edge function serves one handler');
  served = true;
  const userHandler = handler as Handler;
  const userOnError = typeof options.onError === 'function' ? (options.onError as ErrorHandler) : undefined;

  return realServe(
    {
      // The function's own port/hostname are ignored, as on the hosted runtime: the parent proxies to us.
      hostname: '127.0.0.1',
      port: 0,
      onListen: ({ port }) => {
        cpuAtListen = mainThreadCpuMs();
        send({ type: 'listening', port });
      },
      onError: async (error) => {
        console.error(error);
        return userOnError ? await userOnError(error) : workerErrorResponse();
      },
    },
    userHandler,
  );
}

Object.defineProperty(Deno, 'serve', { value: patchedServe, writable: true, configurable: true });

// ---- What a user worker may not do -------------------------------------------------------------------

/** True while the function's module is being loaded: the sync fs calls hosted allows only then. */
let initialising = true;

function blocklisted(message: string): () => never {
  return () => {
    throw new Deno.errors.PermissionDenied(message);
  };
}

/**
 * Deno's file-system calls the Edge Runtime replaces for a user worker (`denoOverrides.js` fsVars; the ones
 * its bootstrap keeps — reading the bundle, writing /tmp — are not listed): they throw.
 */
const BLOCKLISTED_FS = [
  'chmod',
  'chmodSync',
  'chown',
  'chownSync',
  'copyFile',
  'copyFileSync',
  'chdir',
  'readLink',
  'readLinkSync',
  'rename',
  'renameSync',
  'truncate',
  'truncateSync',
  'ftruncate',
  'ftruncateSync',
  'futime',
  'futimeSync',
  'openSync',
  'createSync',
  'seek',
  'seekSync',
  'fstat',
  'fstatSync',
  'fsync',
  'fsyncSync',
  'fdatasync',
  'fdatasyncSync',
  'symlink',
  'symlinkSync',
  'link',
  'linkSync',
  'utime',
  'utimeSync',
] as const;
/** Synchronous calls it allows only while the module loads ("blocklisted on the current context" later). */
const INIT_ONLY_FS = [
  'lstatSync',
  'statSync',
  'removeSync',
  'writeFileSync',
  'writeTextFileSync',
  'readFileSync',
  'readTextFileSync',
  'mkdirSync',
  'makeTempDirSync',
  'makeTempFileSync',
  'readDirSync',
] as const;
/** Calls that do nothing there: a function cannot end or signal its process. */
const NO_OPS = ['exit', 'kill', 'addSignalListener', 'removeSignalListener'] as const;

function override(name: string, value: unknown): void {
  Object.defineProperty(Deno, name, { value, writable: true, configurable: true });
}

function restrictToUserWorker(): void {
  const deno = Deno as unknown as Record<string, unknown>;
  for (const name of BLOCKLISTED_FS) if (name in deno) override(name, blocklisted(`Deno.${name} is blocklisted`));
  for (const name of INIT_ONLY_FS) {
    const original = deno[name];
    if (typeof original !== 'function') continue;
    const denied = blocklisted(`Deno.${name} is blocklisted on the current context`);
    override(name, (...args: unknown[]) =>
      initialising ? (original as (...a: unknown[]) => unknown)(...args) : denied(),
    );
  }
  for (const name of NO_OPS) override(name, () => {});
  override('execPath', () => '/bin/edge-runtime');

  // No CPU clock (ext/node/polyfills/process.ts): cpuUsage() warns and answers zeros; threadCpuUsage, which
  // upstream Deno added long after the runtime's level, does not exist.
  const proc = process as unknown as Record<string, unknown>;
  Object.defineProperty(proc, 'cpuUsage', {
    value: () => {
      console.warn('Warning: Not implemented: process.cpuUsage()');
      return { user: 0, system: 0 };
    },
    writable: true,
    configurable: true,
  });
  for (let target: object | null = proc; target; target = Object.getPrototypeOf(target) as object | null) {
    if (Object.hasOwn(target, 'threadCpuUsage')) delete (target as Record<string, unknown>).threadCpuUsage;
  }

  // No shared memory (its bytes would escape the isolate's memory accounting) and no web workers: one CPU.
  const globals = globalThis as unknown as Record<string, unknown>;
  globals.SharedArrayBuffer = ArrayBuffer;
  const WasmMemory = WebAssembly.Memory;
  const sharedRefused = function Memory(descriptor: WebAssembly.MemoryDescriptor) {
    if (descriptor?.shared === true) throw new TypeError('Creating a shared memory is not supported');
    return new WasmMemory(descriptor);
  };
  sharedRefused.prototype = WasmMemory.prototype;
  (WebAssembly as unknown as Record<string, unknown>).Memory = sharedRefused;
  delete globals.Worker;
  Object.defineProperty(navigator, 'hardwareConcurrency', { value: 1, configurable: true });
}

restrictToUserWorker();

// ---- Messages from the parent ----------------------------------------------------------------------

function onParentMessage(message: FromParent): void {
  if (message.type === 'response_done') {
    responseDone = true;
    maybeExit();
  } else if (message.type === 'beforeunload') {
    // Same event the Edge Runtime dispatches (ext/runtime/js/bootstrap.js dispatchBeforeUnloadEvent).
    globalThis.dispatchEvent(new CustomEvent('beforeunload', { cancelable: true, detail: { reason: message.reason } }));
  }
}

async function readParent(): Promise<void> {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of Deno.stdin.readable) {
    buffered += decoder.decode(chunk, { stream: true });
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (line.length > 0) onParentMessage(JSON.parse(line) as FromParent);
      newline = buffered.indexOf('\n');
    }
  }
  // stdin closed: the devstack is gone. Never outlive it.
  exitNow('parent_gone');
}

// ---- Boot --------------------------------------------------------------------------------------------

// The function is imported here rather than run as the main module behind `--preload`: that way a module
// that throws (or never calls Deno.serve) is seen deterministically. (With --preload, Deno 2.9 reports a
// failed main module at an unpredictable point relative to our timers, and runs the preload's event loop
// until idle before evaluating the main module, so no stdin read may be pending before it.)
const entry = Deno.args[0];
if (!entry) {
  send({ type: 'boot_error', message: 'bootstrap.ts needs the function entrypoint URL as its first argument' });
  realExit(1);
}
try {
  await import(entry);
  initialising = false;
} catch (error) {
  console.error(error);
  send({ type: 'boot_error', message: error instanceof Error ? error.message : String(error) });
  realExit(1);
}
if (!served) {
  send({ type: 'boot_error', message: 'The function did not call Deno.serve()' });
  realExit(1);
}
readParent().catch((error: unknown) => {
  console.error('[devstack] control channel failed', error);
  exitNow('control_error', 1);
});
