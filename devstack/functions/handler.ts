import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { projectApiKeys, type DevstackContext } from '../context';
import { sendJson, sendText } from '../http/respond';
import type { RouteHandler } from '../http/route';
import { resolveDenoBinary } from './deno-binary';
import { verifyJwtEnabled } from './function-config';
import type { BeforeUnloadReason } from './control';
import { Invocation, type FunctionLimits, type InvocationUsage } from './invocation';
import { verifyJwtGate } from './verify-jwt';

export type FunctionsHandlerOptions = {
  /** Looked up in order: the first `<dir>/<name>/index.ts` that exists serves `/functions/v1/<name>`. */
  functionsDirs: string[];
  /** Overrides of `ctx.config.functionMemoryMb` / `functionWallClockMs` and the watchdog knobs. */
  limits?: Partial<FunctionLimits>;
  /** Where pass-through variables are read from (default `process.env`). */
  processEnv?: Record<string, string | undefined>;
  /** `supabase/config.toml`: `[functions.<name>] verify_jwt`. Null: every function verifies (the default). */
  configTomlPath?: string | null;
};

/** The route handler, plus `close()` to kill every running function process (devstack shutdown). */
export type FunctionsHandler = RouteHandler & {
  close: () => Promise<void>;
  /** SIGKILLs every running invocation of `name` with no warning, as a crashed host would; returns how many. */
  killAll: (name: string) => number;
  /** What the invocations of `name` that have ended used, since the devstack started. */
  usage: (name: string) => FunctionUsage;
};

/**
 * A function's invocations so far, as the platform would meter them: how many ended, their main-thread
 * CPU (measured from outside the isolate: what the CPU limit counts), and how many each limit stopped.
 */
export type FunctionUsage = {
  ended: number;
  cpuMs: number;
  /** Invocations whose CPU was measured (a process that died before serving has none). */
  cpuMeasured: number;
  stoppedBy: Partial<Record<BeforeUnloadReason, number>>;
};

/**
 * Variables of the devstack's own environment that a function also sees. The hosted runtime only has
 * the SUPABASE_* variables and the project's secrets; the project's secrets are namespaced BATON_* /
 * TYPESENSE_*. The rest are for Deno itself (reaching the npm registry through a proxy or custom CA).
 */
const PASS_THROUGH_PREFIXES = ['BATON_', 'TYPESENSE_'];
const PASS_THROUGH_NAMES = new Set([
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'NPM_CONFIG_REGISTRY',
  // Deno's TLS honours these (not SSL_CERT_FILE): behind a TLS-inspecting proxy, as on this project's
  // CI machine, npm downloads fail with "invalid peer certificate: UnknownIssuer" without them.
  'NODE_EXTRA_CA_CERTS',
  'DENO_TLS_CA_STORE',
  'DENO_CERT',
]);

/**
 * Where Deno finds the CAs for its npm downloads. Deno 2.1 ignores NODE_EXTRA_CA_CERTS (later versions
 * read it), so behind a TLS-inspecting proxy — whose CA the machine's trust store holds, as on this
 * project's CI — it needs the system store; an explicit DENO_TLS_CA_STORE / DENO_CERT wins.
 */
function denoTrustStore(env: Record<string, string | undefined>): Record<string, string> {
  const store: Record<string, string> = { DENO_TLS_CA_STORE: env.DENO_TLS_CA_STORE || 'system,mozilla' };
  const cert = env.DENO_CERT || env.NODE_EXTRA_CA_CERTS;
  if (cert) store.DENO_CERT = cert;
  return store;
}

/** Hosted: 256 MB memory, 150 s wall clock (free plan). Grace: how long `beforeunload` handlers get. */
const DEFAULT_BEFORE_UNLOAD_GRACE_MS = 1_000;
/** A 100 ms RSS sample costs one small /proc read; a function allocating 1 GB/s overshoots by ≤ 100 MB. */
const DEFAULT_MEMORY_POLL_MS = 100;

const FUNCTION_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

type FoundFunction = { entrypoint: string; configPath: string | null; lockPath: string | null };

/** `<dir>/<name>/index.ts` in the first dir that has it; config: the function's own deno.json, else its dir's. */
async function findFunction(dirs: string[], name: string): Promise<FoundFunction | null> {
  for (const dir of dirs) {
    const entrypoint = path.join(dir, name, 'index.ts');
    if (!(await isFile(entrypoint))) continue;
    for (const candidate of [path.join(dir, name), dir].flatMap((d) => [
      path.join(d, 'deno.json'),
      path.join(d, 'deno.jsonc'),
    ])) {
      if (!(await isFile(candidate))) continue;
      const lock = path.join(path.dirname(candidate), 'deno.lock');
      return { entrypoint, configPath: candidate, lockPath: (await isFile(lock)) ? lock : null };
    }
    return { entrypoint, configPath: null, lockPath: null };
  }
  return null;
}

/**
 * `/functions/v1/<name>`: each request runs the function in a fresh Deno process with the hosted
 * limits (see `invocation.ts`); no global lock, so concurrent requests run side by side.
 */
export function createFunctionsHandler(ctx: DevstackContext, options: FunctionsHandlerOptions): FunctionsHandler {
  const bootstrapPath = path.join(import.meta.dirname, 'deno', 'bootstrap.ts');
  const processEnv = options.processEnv ?? process.env;
  const limits: FunctionLimits = {
    memoryMb: options.limits?.memoryMb ?? ctx.config.functionMemoryMb,
    heapMb:
      options.limits?.heapMb ?? ctx.config.functionHeapMb ?? options.limits?.memoryMb ?? ctx.config.functionMemoryMb,
    wallClockMs: options.limits?.wallClockMs ?? ctx.config.functionWallClockMs,
    beforeUnloadGraceMs: options.limits?.beforeUnloadGraceMs ?? DEFAULT_BEFORE_UNLOAD_GRACE_MS,
    memoryPollMs: options.limits?.memoryPollMs ?? DEFAULT_MEMORY_POLL_MS,
    // Off unless asked for (DEVSTACK_FUNCTION_CPU_LIMIT_MS; hosted: 2 s per request).
    cpuTimeMs: options.limits?.cpuTimeMs ?? ctx.config.functionCpuLimitMs ?? null,
  };
  const running = new Set<Invocation>();
  const usageByName = new Map<string, FunctionUsage>();
  const usageOf = (name: string): FunctionUsage => {
    let usage = usageByName.get(name);
    if (!usage) usageByName.set(name, (usage = { ended: 0, cpuMs: 0, cpuMeasured: 0, stoppedBy: {} }));
    return usage;
  };
  const recordUsage = (name: string, ended: InvocationUsage) => {
    const usage = usageOf(name);
    usage.ended += 1;
    if (ended.cpuMs !== null) {
      usage.cpuMs += ended.cpuMs;
      usage.cpuMeasured += 1;
    }
    if (ended.limit) usage.stoppedBy[ended.limit] = (usage.stoppedBy[ended.limit] ?? 0) + 1;
  };

  /**
   * What hosted Edge Functions get (docs/protocols-2026.md §4.1): the key dictionaries with a `default`
   * entry and the public signing keys for a 2026 project, the legacy JWT keys for a legacy one.
   */
  function supabaseEnv(): Record<string, string> {
    const legacy = { SUPABASE_ANON_KEY: ctx.keys.anonKey, SUPABASE_SERVICE_ROLE_KEY: ctx.keys.serviceRoleKey };
    if (ctx.config.apiKeyMode === 'legacy') return legacy;
    const keys = projectApiKeys(ctx);
    return {
      ...legacy,
      SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ default: keys.publishable }),
      SUPABASE_SECRET_KEYS: JSON.stringify({ default: keys.secret }),
      SUPABASE_JWKS: JSON.stringify(ctx.jwt.jwks()),
    };
  }

  function functionEnv(invocationId: string): Record<string, string> {
    const env: Record<string, string> = {};
    // Devstack defaults for the worker's Typesense secrets; an explicit TYPESENSE_* variable wins below.
    // Only the search-only key: the worker derives a scoped key from it for each job and needs no other.
    if (ctx.typesenseUrl) {
      env.TYPESENSE_URL = ctx.typesenseUrl;
      env.TYPESENSE_SEARCH_KEY = ctx.config.typesenseSearchKey;
    }
    // The devstack's explicit exception to the webhook SSRF rule: receivers on this machine (tests, demos)
    // over http and loopback. Production never sets it; BATON_WEBHOOK_ALLOW_LOOPBACK=false here wins.
    env.BATON_WEBHOOK_ALLOW_LOOPBACK = 'true';
    for (const [name, value] of Object.entries(processEnv)) {
      if (value === undefined) continue;
      if (PASS_THROUGH_NAMES.has(name) || PASS_THROUGH_PREFIXES.some((prefix) => name.startsWith(prefix)))
        env[name] = value;
    }
    return {
      ...env,
      SUPABASE_URL: ctx.apiUrl,
      ...supabaseEnv(),
      SUPABASE_DB_URL:
        ctx.db.options.connectionString ?? `postgres://postgres:postgres@127.0.0.1:${ctx.config.pgPort}/postgres`,
      // Hosted sets a per-worker execution id; the worker can record it in its invocation rows.
      SB_EXECUTION_ID: invocationId,
      // Outside the repository (config.ts, hosted-runtime.ts), shared by every devstack. Warm, a function
      // boots in ~25 ms (no npm imports) to ~160–280 ms (supabase-js + typesense + zod); cold, it first
      // downloads them.
      DENO_DIR: ctx.config.functionCacheDir,
      ...denoTrustStore(processEnv),
      // The repo's package.json must never take part in a function's npm resolution (design.md §5).
      DENO_NO_PACKAGE_JSON: '1',
      DENO_NO_UPDATE_CHECK: '1',
      NO_COLOR: '1',
    };
  }

  const handler: RouteHandler = async (req, res, subpath, url) => {
    const name = subpath.split('/')[1] ?? '';
    // Folders starting with `_` (e.g. `_shared`) are never functions, as with the Supabase CLI.
    const found = FUNCTION_NAME.test(name) ? await findFunction(options.functionsDirs, name) : null;
    if (!found) {
      sendText(res, 404, 'Function not found', 'text/plain');
      return;
    }
    // `apikey` and `Authorization` reach the function exactly as sent; OPTIONS is exempt from the gate.
    if (req.method !== 'OPTIONS' && (await verifyJwtEnabled(options.configTomlPath ?? null, name))) {
      const rejected = await verifyJwtGate(ctx, req);
      if (rejected) {
        sendJson(res, 401, rejected, { 'sb-error-code': rejected.code });
        return;
      }
    }

    let denoBinary: string;
    try {
      denoBinary = resolveDenoBinary();
    } catch (error) {
      ctx.log('functions', `${name}: ${error instanceof Error ? error.message : String(error)}`);
      sendJson(res, 503, { code: 'BOOT_ERROR', message: 'Worker failed to boot (please check logs)' });
      return;
    }

    const invocationId = randomUUID();
    const invocation = new Invocation(
      {
        name,
        invocationId,
        entrypoint: found.entrypoint,
        configPath: found.configPath,
        lockPath: found.lockPath,
        env: functionEnv(invocationId),
        limits,
        denoBinary,
        bootstrapPath,
        log: (line) => ctx.log('functions', line),
        onEnd: (usage) => recordUsage(name, usage),
      },
      req,
      res,
      // Functions see `/<name>/…` (Supabase routing docs: `basePath('/<name>')`).
      `${subpath}${url.search}`,
    );
    running.add(invocation);
    void invocation.exitedPromise.then(() => running.delete(invocation));
    await invocation.finished;
  };

  return Object.assign(handler, {
    killAll: (name: string) => {
      const victims = [...running].filter((invocation) => invocation.functionName === name);
      for (const invocation of victims) invocation.kill();
      return victims.length;
    },
    usage: (name: string) => structuredClone(usageOf(name)),
    close: async () => {
      const exits = [...running].map((invocation) => {
        invocation.kill();
        return invocation.exitedPromise;
      });
      await Promise.all(exits);
    },
  });
}
