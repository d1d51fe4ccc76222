// Export worker (Supabase Edge Function). Thin glue: configuration, the official clients, and starting
// fresh copies of itself. The worker's parts live in ../_shared/worker/ (run-export-invocation.ts ties them).
//
// POST { "jobId": "<uuid>", "lane"?: 1–8, "heirOf"?: "<invocation uuid>", "budget"?: {…} } with the
// project's secret key in `apikey` (on a legacy project, its service-role key). Answers 202 at once; the
// work runs in EdgeRuntime.waitUntil, within the platform's wall clock (150 s free / 400 s paid), memory
// (256 MB) and CPU limit (BATON_EDGE_CPU_LIMIT_MS).
//
// `verify_jwt = false` (supabase/config.toml): the platform's JWT gate would let any user's token and the
// publishable key through, so the worker checks its caller itself, before it reads the body or writes.
import process from 'node:process';
import { resolveEnv, verifyAuth } from '@supabase/server/core';
import { createClient } from '@supabase/supabase-js';
import { z } from 'zod';
import { createCpuMeter } from '../_shared/cpu-meter.ts';
import { ExportError } from '../_shared/export-error.ts';
import { exactJsonFetch } from '../_shared/exact-json.ts';
import { EXPORTS_BUCKET } from '../_shared/shard-key.ts';
import { retryRolledBack } from '../_shared/transient-retry.ts';
import { isTypesenseNodeList } from '../_shared/typesense-nodes.ts';
import { budgetProblems, parseWorkerSettings } from '../_shared/worker-settings.ts';
import { handOffLane } from '../_shared/worker/hand-off-policy.ts';
import type { LeaseArgs } from '../_shared/worker/held-lease.ts';
import type { WorkerPorts, WorkerRequest } from '../_shared/worker/ports.ts';
import { runExportInvocation } from '../_shared/worker/run-export-invocation.ts';
import { scopedSearchPage } from '../_shared/worker/scoped-search-page.ts';

declare const EdgeRuntime: { waitUntil<T>(promise: Promise<T>): Promise<T> };

/** Process start → this module evaluated (imports included): about what the next copy's boot will take. */
const bootMs = performance.now();

const env = z
  .object({
    SUPABASE_URL: z.url(),
    // Legacy JWT key; the secret keys (SUPABASE_SECRET_KEYS) are read by @supabase/server below.
    SUPABASE_SERVICE_ROLE_KEY: z.string().min(1).optional(),
    TYPESENSE_URL: z.string().refine(isTypesenseNodeList, 'one or more http(s) URLs, comma-separated'),
    // Allowed only `documents:search`: the parent of the scoped key each job's pages are searched with.
    TYPESENSE_SEARCH_KEY: z.string().min(1),
  })
  .parse(Deno.env.toObject());
const settings = parseWorkerSettings(Deno.env.toObject());

/**
 * The keys that may invoke the worker: the project's secret keys (SUPABASE_SECRET_KEYS, as the platform
 * injects them), or, on a legacy project that has none, its service-role key. The worker itself calls
 * the project with the `default` one.
 */
function callerKeys(): Record<string, string> {
  const resolved = resolveEnv();
  if (resolved.error) throw new Error(`export-worker: ${resolved.error.message}`);
  const secretKeys = resolved.data.secretKeys;
  if (Object.keys(secretKeys).length > 0) return secretKeys;
  if (env.SUPABASE_SERVICE_ROLE_KEY) return { default: env.SUPABASE_SERVICE_ROLE_KEY };
  throw new Error('export-worker: no secret key (SUPABASE_SECRET_KEYS) nor legacy SUPABASE_SERVICE_ROLE_KEY');
}
const secretKeys = callerKeys();
const secretKey = secretKeys.default ?? Object.values(secretKeys)[0]!;

const supabase = createClient(env.SUPABASE_URL, secretKey, {
  auth: { persistSession: false, autoRefreshToken: false },
  // A hung storage request must fail (and be retried) rather than eat the time budget.
  // Every integer beyond 2^53 in a JSON answer (int64 keys) arrives as exact digits (exact-json.ts).
  global: {
    fetch: exactJsonFetch((input: RequestInfo | URL, init?: RequestInit) =>
      fetch(input, { ...init, signal: init?.signal ?? AbortSignal.timeout(settings.storageTimeoutMs) }),
    ),
  },
});

/**
 * The isolate's own thread's CPU clock, where the runtime has one: what the platform's CPU limit counts
 * (the process total adds V8's GC and compiler threads and Deno's I/O threads, ~50 % more). Hosted Edge
 * Functions have none (no `process.threadCpuUsage`; `process.cpuUsage()` is all zeros): the meter then
 * estimates from the work it times (cpu-meter.ts). One meter for the isolate; each request reads it from
 * its start.
 */
function threadCpuClock(): (() => number) | null {
  const threadCpuUsage = (process as { threadCpuUsage?: () => { user: number; system: number } }).threadCpuUsage;
  if (typeof threadCpuUsage !== 'function') return null;
  return () => {
    const usage = threadCpuUsage.call(process);
    return (usage.user + usage.system) / 1000;
  };
}
const cpuMeter = createCpuMeter(threadCpuClock());

const searchPage = scopedSearchPage({
  url: env.TYPESENSE_URL,
  searchKey: env.TYPESENSE_SEARCH_KEY,
  tuning: {
    connectionTimeoutSeconds: 10,
    retriesPerNode: 1,
    // A page's JSON (~0.7 MB) is parsed on the isolate's thread: part of the CPU estimate.
    timeParse: cpuMeter.time,
  },
});

/** Worker-to-worker calls in flight; each is kept alive by waitUntil. */
function startCopy(request: WorkerRequest): void {
  EdgeRuntime.waitUntil(
    fetch(`${env.SUPABASE_URL}/functions/v1/export-worker`, {
      method: 'POST',
      headers: { apikey: secretKey, 'Content-Type': 'application/json' },
      body: JSON.stringify(request),
    }).then(
      async (res) => {
        await res.body?.cancel();
        if (!res.ok) console.error(`start of a copy for ${request.jobId} answered ${res.status}; the sweep will`);
      },
      (error: unknown) =>
        console.error(`start of a copy for ${request.jobId} failed; the sweep will: ${String(error)}`),
    ),
  );
}

const ports: WorkerPorts = {
  // The port's type is the contract (worker-rpc-args.ts: the generated Args, keys as digits); the client
  // is not typed with `Database` because it would want those keys as numbers, which cannot carry them.
  rpc: async (fn, args) => {
    // A transaction Postgres rolled back (deadlock, serialization failure) is sent again in place.
    const { data, error } = await retryRolledBack(() => supabase.rpc(fn, args));
    if (error) throw new ExportError('database_failed', `${fn}: ${error.message}`, true);
    return data;
  },
  searchPage,
  uploadShard: async (key, bytes, contentType) => {
    const { error } = await supabase.storage
      .from(EXPORTS_BUCKET)
      .upload(key, bytes, { contentType, upsert: true, cacheControl: 'no-store' });
    if (error) throw new ExportError('storage_failed', `upload ${key}: ${error.message}`, true);
  },
  removeObjects: async (keys) => {
    if (keys.length === 0) return;
    const { error } = await supabase.storage.from(EXPORTS_BUCKET).remove(keys);
    if (error) console.warn(`could not remove ${keys.length} unreferenced object(s): ${error.message}`);
  },
  listObjects: async (folder) => {
    const keys: string[] = [];
    const bucket = supabase.storage.from(EXPORTS_BUCKET);
    for (let offset = 0; ; offset += 1000) {
      const { data, error } = await bucket.list(folder, { limit: 1000, offset });
      if (error) throw new ExportError('storage_failed', `list ${folder}: ${error.message}`, true);
      keys.push(...data.map((o) => `${folder}/${o.name}`));
      if (data.length < 1000) return keys;
    }
  },
  startCopy,
  heapUsedBytes: () => Deno.memoryUsage().heapUsed,
  bootMs,
  log: (message) => console.log(message),
};

/**
 * A caller (tests, benchmarks, support; like every caller, with the secret key) may set the budget for this
 * job's invocations; it is stored on the job and holds for every later invocation, sweep restarts too.
 */
const budgetSchema = z
  .object({
    timeMs: z.number().int().min(200).max(400_000).optional(),
    cpuMs: z.number().int().min(50).max(400_000).optional(),
  })
  .strict();

const payloadSchema = z
  .object({
    jobId: z.uuid(),
    lane: z.number().int().min(1).max(8).optional(),
    heirOf: z.uuid().optional(),
    budget: budgetSchema.optional(),
  })
  .strict();
/** Leases held by invocations still running in this instance. */
const activeLeases = new Map<string, LeaseArgs>();

// Second chance when the platform is about to stop this instance (wall clock, memory, CPU): the manifest
// already holds every recorded shard, so saving state means handing the lane off at once, instead of
// leaving it to the sweep after the lease expires. A page still in flight is fenced off: recording it
// fails once the lease is gone.
addEventListener('beforeunload', (event) => {
  const reason = (event as CustomEvent<{ reason?: string }>).detail?.reason ?? 'unknown';
  for (const [key, lease] of activeLeases) {
    console.warn(`instance stopping (${reason}) while working on ${key}: handing off`);
    void handOffLane(ports, lease)
      .then((handed) => {
        for (const lane of handed.kick ?? []) startCopy({ jobId: lane.job_id, lane: lane.lane_no });
      })
      .catch((error: unknown) => console.error(`hand-off on unload failed; the lease will expire: ${String(error)}`));
  }
});

Deno.serve(async (req) => {
  // Only a secret key (exact, timing-safe compare); anything else is 401 before any work or write.
  const caller = await verifyAuth(req, { auth: 'secret:*', env: { secretKeys } });
  if (caller.error) return Response.json(caller.error.toJSON(), { status: caller.error.status });
  if (req.method !== 'POST') return Response.json({ error: 'Use POST' }, { status: 405 });
  let payload: z.infer<typeof payloadSchema>;
  try {
    payload = payloadSchema.parse(await req.json());
  } catch {
    return Response.json(
      {
        error:
          'Body must be JSON: {"jobId": "<uuid>", "lane"?: 1-8, "heirOf"?: "<uuid>", "budget"?: {"timeMs"?, "cpuMs"?}}',
      },
      { status: 400 },
    );
  }
  const problems = payload.budget ? budgetProblems(settings, payload.budget) : [];
  if (problems.length > 0) return Response.json({ error: `Budget refused: ${problems.join('; ')}.` }, { status: 400 });

  // The platform's CPU limit counts from the request.
  const cpuAtRequest = cpuMeter.usedMs();
  EdgeRuntime.waitUntil(
    (async () => {
      let leaseKey: string | undefined;
      try {
        const onLease = (lease: LeaseArgs) => {
          leaseKey = `${lease.p_job_id}/${lease.p_lane_no}`;
          activeLeases.set(leaseKey, lease);
        };
        const result = await runExportInvocation(payload, { ports, settings, meter: cpuMeter, cpuAtRequest, onLease });
        console.log(
          `job ${payload.jobId} lane ${result.lane ?? '-'}: ${result.outcome}, ${result.shardsWritten} shards, ${result.rowsWritten} rows`,
        );
      } catch (error) {
        console.error(`job ${payload.jobId}: invocation crashed: ${String(error)}`);
      } finally {
        if (leaseKey) activeLeases.delete(leaseKey);
      }
    })(),
  );
  return Response.json({ accepted: true, jobId: payload.jobId }, { status: 202 });
});
