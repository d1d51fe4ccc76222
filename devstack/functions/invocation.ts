import { spawn, type ChildProcess } from 'node:child_process';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { sendJson } from '../http/respond';
import {
  CONTROL_PREFIX,
  parseChildMessage,
  type BeforeUnloadReason,
  type ChildMessage,
  type ParentMessage,
} from './control';
import { readMainThreadCpuMs, readRssBytes } from './process-stats';

export type FunctionLimits = {
  /** RSS-growth cap (hosted: 256 MB). */
  memoryMb: number;
  /** V8 old-space cap; defaults to `memoryMb`. Smaller in tests that prove the worker's heap stays flat. */
  heapMb: number;
  /** Whole worker lifetime, including boot and waitUntil work (hosted: 150 s free plan). */
  wallClockMs: number;
  /** Time between `beforeunload` and SIGKILL. */
  beforeUnloadGraceMs: number;
  /** How often the watchdog samples `/proc` (RSS and CPU). */
  memoryPollMs: number;
  /**
   * CPU time of the isolate's thread from the moment the function listens (hosted: 2 s per request;
   * the CLI uses a 1 s soft / 2 s hard limit). Null: not enforced. Sampled every `memoryPollMs`, with
   * 10 ms resolution, so a burst can overshoot by up to one poll interval.
   */
  cpuTimeMs: number | null;
};

export type InvocationSpec = {
  name: string;
  invocationId: string;
  /** Absolute path of the function's `index.ts`. */
  entrypoint: string;
  /** `deno.json` to run with, or null for `--no-config`. */
  configPath: string | null;
  /** `deno.lock` beside that config, used read-only; null: no lock file. */
  lockPath: string | null;
  env: Record<string, string>;
  limits: FunctionLimits;
  denoBinary: string;
  bootstrapPath: string;
  log: (line: string) => void;
  /** Called once the process has exited, with what it used. */
  onEnd: (usage: InvocationUsage) => void;
};

/** What one invocation used, measured from outside the isolate as the platform measures it. */
export type InvocationUsage = {
  /** Main-thread CPU from serving to exit (10 ms ticks); null when it was never measured. */
  cpuMs: number | null;
  /** The limit that stopped it, if one did. */
  limit: BeforeUnloadReason | null;
};

/** Bodies of the Supabase CLI gateway (`supabase/cli internal/functions/serve/templates/main.ts`). */
const BOOT_ERROR = { code: 'BOOT_ERROR', message: 'Worker failed to boot (please check logs)' };
const WORKER_LIMIT = {
  code: 'WORKER_LIMIT',
  message: 'Worker failed to respond due to a resource limit (please check logs)',
};
const WORKER_ERROR = { code: 'WORKER_ERROR', message: 'Function exited due to an error (please check logs)' };

/** Connection-level headers a proxy must not forward (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
]);

function endToEndHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

const MIB = 1024 * 1024;
/** Lines of stderr kept to classify a crash (V8's OOM report is ~10 lines before the C stack). */
const STDERR_TAIL_LINES = 40;
/** After the function's socket fails while the process still runs, wait this long for it to exit. */
const UPSTREAM_ERROR_EXIT_WAIT_MS = 2_000;

/**
 * One request served by one fresh Deno process, as the Edge Runtime does per request:
 * spawn → boot report → `listening` → proxy the request and stream the response → `response_done` →
 * the child exits once its waitUntil work settles, or is killed at a limit after `beforeunload`.
 */
export class Invocation {
  private readonly child: ChildProcess;
  private readonly startedAt = performance.now();
  private readonly stderrTail: string[] = [];
  private readonly timers: Array<ReturnType<typeof setTimeout>> = [];
  private watchdogTimer: ReturnType<typeof setInterval> | undefined;
  private bootRss: number | null = null;
  /** Main-thread CPU at `listening`; the CPU limit counts from there. */
  private cpuAtListenMs: number | null = null;
  /** Main-thread CPU since `listening`: the watchdog's last sample, then the function's own report at exit. */
  private cpuUsedMs: number | null = null;
  private listening = false;
  private exited = false;
  private limitReason: BeforeUnloadReason | null = null;
  private upstream: http.ClientRequest | undefined;
  /** Set once the function's response headers arrived; later socket errors are the response's business. */
  private upstreamResponded = false;
  private clientGone = false;
  private responseDoneSent = false;
  private resolveFinished!: () => void;
  /** Resolves when the HTTP exchange with the caller is over (the process may live on for waitUntil). */
  readonly finished = new Promise<void>((resolve) => {
    this.resolveFinished = resolve;
  });
  /** Resolves when the Deno process has exited. */
  readonly exitedPromise: Promise<void>;

  constructor(
    private readonly spec: InvocationSpec,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly forwardPath: string,
  ) {
    const { limits } = spec;
    const args = [
      'run',
      '--no-prompt',
      '--allow-net',
      '--allow-env',
      '--allow-read',
      '--allow-sys',
      // A committed deno.lock pins the transitive npm versions the hosted deploy resolves too; read-only
      // (--frozen), because many concurrent processes must never rewrite a repo file. An out-of-date lock
      // is a boot error that says so. Without one, nothing is written either.
      ...(spec.lockPath ? [`--lock=${spec.lockPath}`, '--frozen'] : ['--no-lock']),
      `--v8-flags=--max-old-space-size=${limits.heapMb}`,
      ...(spec.configPath ? ['--config', spec.configPath] : ['--no-config']),
      spec.bootstrapPath,
      pathToFileURL(spec.entrypoint).href,
    ];
    this.child = spawn(spec.denoBinary, args, {
      cwd: path.dirname(spec.entrypoint),
      // The function sees exactly this environment, nothing of the devstack's (no NODE_ENV either, which
      // Next's augmentation of ProcessEnv declares as always present).
      env: spec.env as NodeJS.ProcessEnv,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.log(`start pid=${this.child.pid ?? '?'} ${req.method ?? 'GET'} ${forwardPath}`);
    this.exitedPromise = new Promise((resolve) => {
      this.child.once('close', (code, signal) => {
        this.onExit(code, signal);
        resolve();
      });
    });
    this.child.once('error', (error) => {
      this.log(`spawn failed: ${error.message}`);
      if (this.child.pid === undefined) {
        // No process means no 'close' event will ever come.
        this.exited = true;
        this.respondError(503, BOOT_ERROR);
        this.resolveFinished();
      }
    });
    this.child.stdin?.on('error', () => {
      // EPIPE after the child exited: nothing left to tell it.
    });

    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      if (line.startsWith(CONTROL_PREFIX)) {
        const message = parseChildMessage(line.slice(CONTROL_PREFIX.length));
        if (message) this.onChildMessage(message);
      } else {
        this.log(line);
      }
    });
    createInterface({ input: this.child.stderr! }).on('line', (line) => {
      this.stderrTail.push(line);
      if (this.stderrTail.length > STDERR_TAIL_LINES) this.stderrTail.shift();
      this.log(line);
    });

    this.timers.push(setTimeout(() => this.hitLimit('WallClockTime'), limits.wallClockMs));

    res.once('close', () => {
      if (!res.writableFinished) {
        // The caller went away: stop relaying. The function keeps its waitUntil work, as hosted.
        this.clientGone = true;
        this.upstream?.destroy();
        this.sendResponseDone();
      }
      this.resolveFinished();
    });
  }

  private log(line: string): void {
    this.spec.log(`${this.spec.name} ${this.spec.invocationId.slice(0, 8)} ${line}`);
  }

  private elapsedMs(): number {
    return Math.round(performance.now() - this.startedAt);
  }

  private send(message: ParentMessage): void {
    if (this.exited) return;
    this.child.stdin?.write(`${JSON.stringify(message)}\n`);
  }

  private sendResponseDone(): void {
    if (this.responseDoneSent) return;
    this.responseDoneSent = true;
    this.send({ type: 'response_done' });
  }

  private onChildMessage(message: ChildMessage): void {
    switch (message.type) {
      case 'boot':
        this.bootRss = message.rss;
        this.startWatchdog();
        break;
      case 'listening':
        this.listening = true;
        this.log(`ready in ${this.elapsedMs()} ms`);
        if (this.child.pid !== undefined) {
          void readMainThreadCpuMs(this.child.pid).then((cpu) => {
            this.cpuAtListenMs = cpu;
          });
        }
        if (this.clientGone) this.sendResponseDone();
        else this.proxy(message.port);
        break;
      case 'boot_error':
        this.log(`boot error: ${message.message}`);
        break;
      case 'exit':
        if (message.cpuMs !== null) this.cpuUsedMs = message.cpuMs;
        break;
    }
  }

  /**
   * Memory: the hosted runtime counts the isolate's memory; the closest outside view is RSS growth since
   * boot (Deno 2.9 itself is ≈30–35 MB RSS before the function loads). This catches what V8's old-space cap
   * cannot: ArrayBuffers and other off-heap memory. CPU: see `FunctionLimits.cpuTimeMs`.
   */
  private startWatchdog(): void {
    const pid = this.child.pid;
    if (pid === undefined || this.watchdogTimer) return;
    const { memoryMb, cpuTimeMs, memoryPollMs } = this.spec.limits;
    const capBytes = memoryMb * MIB;
    let sampling = false;
    this.watchdogTimer = setInterval(() => {
      if (sampling || this.exited || this.limitReason || this.bootRss === null) return;
      sampling = true;
      const baseline = this.bootRss;
      const cpuStart = this.cpuAtListenMs;
      void Promise.all([readRssBytes(pid), cpuStart !== null ? readMainThreadCpuMs(pid) : null]).then(([rss, cpu]) => {
        sampling = false;
        if (this.exited || this.limitReason) return;
        if (cpu !== null && cpuStart !== null) this.cpuUsedMs = cpu - cpuStart;
        if (rss !== null && rss - baseline > capBytes) {
          this.log(
            `memory: RSS ${Math.round(rss / MIB)} MB is over boot ${Math.round(baseline / MIB)} MB + cap ${memoryMb} MB`,
          );
          this.hitLimit('Memory');
        } else if (cpu !== null && cpuStart !== null && cpuTimeMs !== null && cpu - cpuStart > cpuTimeMs) {
          this.log(`cpu: ${cpu - cpuStart} ms of CPU since listening is over the ${cpuTimeMs} ms limit`);
          this.hitLimit('CPUTime');
        }
      });
    }, memoryPollMs);
  }

  /** Like the Edge Runtime: dispatch `beforeunload` with the reason, give a short grace, then kill. */
  private hitLimit(reason: BeforeUnloadReason): void {
    if (this.exited || this.limitReason) return;
    this.limitReason = reason;
    const grace = this.spec.limits.beforeUnloadGraceMs;
    this.log(`${reason} limit after ${this.elapsedMs()} ms: beforeunload, SIGKILL in ${grace} ms`);
    this.send({ type: 'beforeunload', reason });
    this.timers.push(setTimeout(() => this.child.kill('SIGKILL'), grace));
  }

  private proxy(port: number): void {
    const { req, res } = this;
    const upstream = http.request({
      host: '127.0.0.1',
      port,
      method: req.method,
      path: this.forwardPath,
      headers: { ...endToEndHeaders(req.headers), connection: 'close' },
      agent: false,
    });
    this.upstream = upstream;
    upstream.on('response', (response) => {
      this.upstreamResponded = true;
      if (this.clientGone) {
        response.destroy();
        return;
      }
      res.writeHead(response.statusCode ?? 502, response.statusMessage, endToEndHeaders(response.headers));
      response.pipe(res);
      response.on('close', () => {
        // The process died mid-body (kill, crash): do not let the caller mistake a prefix for the whole.
        if (!response.complete) res.destroy();
      });
      res.once('finish', () => {
        this.log(`responded ${response.statusCode ?? 502} after ${this.elapsedMs()} ms`);
        this.sendResponseDone();
      });
    });
    upstream.on('error', (error) => this.onUpstreamError(error));
    req.pipe(upstream);
  }

  private onUpstreamError(error: Error): void {
    // After the response started, a request-side error (e.g. EPIPE because the function answered without
    // reading a large body) must not cut a good response; a dying process is seen by response 'close'.
    // A process that exited is answered by onExit.
    if (this.upstreamResponded || this.clientGone || this.exited) return;
    this.timers.push(
      setTimeout(() => {
        if (this.exited) return;
        this.log(`proxy error while the function still runs: ${error.message}`);
        if (this.res.headersSent) this.res.destroy();
        else
          this.respondError(500, {
            code: 'Internal Server Error',
            message: 'Request failed due to an internal server error',
            trace: JSON.stringify(error.stack),
          });
        this.sendResponseDone();
      }, UPSTREAM_ERROR_EXIT_WAIT_MS),
    );
  }

  private respondError(status: number, body: Record<string, string>): void {
    if (this.res.headersSent || this.res.destroyed) return;
    sendJson(this.res, status, body);
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.exited = true;
    for (const timer of this.timers) clearTimeout(timer);
    if (this.watchdogTimer) clearInterval(this.watchdogTimer);
    const v8OutOfMemory = this.stderrTail.some((line) => /out of memory/i.test(line));
    const limit = this.limitReason ?? (v8OutOfMemory ? 'Memory' : null);
    this.log(
      `exit code=${code ?? '-'} signal=${signal ?? '-'}${limit ? ` limit=${limit}` : ''} after ${this.elapsedMs()} ms`,
    );
    if (!this.res.headersSent) {
      if (limit) this.respondError(546, WORKER_LIMIT);
      else if (!this.listening) this.respondError(503, BOOT_ERROR);
      else this.respondError(500, WORKER_ERROR);
    } else if (!this.res.writableFinished) {
      // Killed mid-stream: the caller sees a truncated body, as with a hosted worker that is shut down.
      this.res.destroy();
    }
    this.upstream?.destroy();
    this.resolveFinished();
    this.spec.onEnd({ cpuMs: this.cpuUsedMs, limit });
  }

  get functionName(): string {
    return this.spec.name;
  }

  /** Kills the process now, without `beforeunload` (devstack shutdown, or a simulated crash). */
  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }
}
