// Export worker (Supabase Edge Function). Thin glue: configuration, the official clients, and the
// hand-off to a fresh copy of itself. The loop lives in ../_shared/run-export-invocation.ts.
//
// POST { "jobId": "<uuid>" } with the project's secret key in `apikey` (on a legacy project, its
// service-role key). Answers 202 at once; the work runs in EdgeRuntime.waitUntil, within the platform's
// wall clock (150 s free / 400 s paid) and memory (256 MB).
//
// `verify_jwt = false` (supabase/config.toml): the platform's JWT gate would let any user's token and the
// publishable key through, so the worker checks its caller itself, before it reads the body or writes.
import process from 'node:process';
import { resolveEnv, verifyAuth } from '@supabase/server/core';
import { createClient } from '@supabase/supabase-js';
import Typesense from 'typesense';
import { z } from 'zod';
import { ExportError } from '../_shared/export-error.ts';
import type { ExportDocument } from '../_shared/export-format.ts';
import {
  runExportInvocation,
  type LeaseArgs,
  type WorkerLimits,
  type WorkerPorts,
} from '../_shared/run-export-invocation.ts';
import { EXPORTS_BUCKET } from '../_shared/shard-key.ts';
import { typesenseHttpStatus } from '../_shared/typesense-http-status.ts';

declare const EdgeRuntime: { waitUntil<T>(promise: Promise<T>): Promise<T> };

const env = z
  .object({
    SUPABASE_URL: z.url(),
    // Legacy JWT key; the secret keys (SUPABASE_SECRET_KEYS) are read by @supabase/server below.
    SUPABASE_SERVICE_ROLE_KEY: z.string().min(1).optional(),
    TYPESENSE_URL: z.url(),
    TYPESENSE_API_KEY: z.string().min(1),
    BATON_WORKER_TIME_BUDGET_MS: z.coerce.number().int().min(200).default(45_000),
    BATON_WORKER_CPU_BUDGET_MS: z.coerce.number().int().min(100).default(1_500),
    BATON_WORKER_LEASE_GRACE_SECONDS: z.coerce.number().int().min(1).default(30),
    BATON_WORKER_PROGRESS_INTERVAL_MS: z.coerce.number().int().min(0).default(500),
    BATON_STORAGE_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  })
  .parse(Deno.env.toObject());

const limits: WorkerLimits = {
  timeBudgetMs: env.BATON_WORKER_TIME_BUDGET_MS,
  cpuBudgetMs: env.BATON_WORKER_CPU_BUDGET_MS,
  leaseGraceSeconds: env.BATON_WORKER_LEASE_GRACE_SECONDS,
  progressIntervalMs: env.BATON_WORKER_PROGRESS_INTERVAL_MS,
};

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
  global: {
    fetch: (input, init) =>
      fetch(input, { ...init, signal: init?.signal ?? AbortSignal.timeout(env.BATON_STORAGE_TIMEOUT_MS) }),
  },
});

const typesenseUrl = new URL(env.TYPESENSE_URL);
const typesense = new Typesense.Client({
  nodes: [
    {
      host: typesenseUrl.hostname,
      port: Number(typesenseUrl.port || (typesenseUrl.protocol === 'https:' ? 443 : 80)),
      protocol: typesenseUrl.protocol.replace(':', ''),
    },
  ],
  apiKey: env.TYPESENSE_API_KEY,
  connectionTimeoutSeconds: 10,
  numRetries: 1,
  axiosAdapter: 'fetch',
  logLevel: 'silent',
});

const ports: WorkerPorts = {
  rpc: async <T>(fn: string, args: Record<string, unknown>) => {
    const { data, error } = await supabase.rpc(fn, args);
    if (error) throw new ExportError('database_failed', `${fn}: ${error.message}`, true);
    return data as T;
  },
  searchPage: async (request) => {
    try {
      const response = await typesense
        .collections<ExportDocument>(request.collection)
        .documents()
        .search({
          q: '*',
          filter_by: request.filterBy || undefined,
          sort_by: request.sortBy,
          per_page: request.perPage,
          page: 1,
          include_fields: request.includeFields.join(','),
        });
      return (response.hits ?? []).map((hit) => hit.document);
    } catch (error) {
      const status = typesenseHttpStatus(error);
      const message = error instanceof Error ? error.message : String(error);
      // 4xx: the source refused the request itself (bad filter, missing collection); retrying cannot help.
      if (status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429) {
        throw new ExportError('source_rejected', message, false);
      }
      throw new ExportError('source_unavailable', message, true);
    }
  },
  uploadShard: async (key, bytes, contentType) => {
    const { error } = await supabase.storage
      .from(EXPORTS_BUCKET)
      .upload(key, bytes, { contentType, upsert: true, cacheControl: 'no-store' });
    if (error) throw new ExportError('storage_failed', `upload ${key}: ${error.message}`, true);
  },
  cpuMs: () => {
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1000;
  },
  heapUsedBytes: () => Deno.memoryUsage().heapUsed,
  log: (message) => console.log(message),
};

/**
 * A caller (tests, benchmarks, support; like every caller, with the secret key) may set the budget for this
 * job's invocations; it travels with every hand-off. Capped at the paid plan's 400 s wall clock.
 */
const budgetSchema = z
  .object({
    timeMs: z.number().int().min(200).max(400_000).optional(),
    cpuMs: z.number().int().min(100).max(400_000).optional(),
  })
  .strict();
type Budget = z.infer<typeof budgetSchema>;

/** Starts a fresh copy of this function for the job (the relay's baton pass). */
function invokeNextCopy(jobId: string, budget: Budget | undefined): Promise<void> {
  return fetch(`${env.SUPABASE_URL}/functions/v1/export-worker`, {
    method: 'POST',
    headers: { apikey: secretKey, 'Content-Type': 'application/json' },
    body: JSON.stringify({ jobId, budget }),
  }).then(
    async (res) => {
      await res.body?.cancel();
      if (!res.ok) console.error(`hand-off for ${jobId}: next copy answered ${res.status}; the sweep will pick it up`);
    },
    (error: unknown) => console.error(`hand-off for ${jobId} failed; the sweep will pick it up: ${String(error)}`),
  );
}

const payloadSchema = z.object({ jobId: z.uuid(), budget: budgetSchema.optional() }).strict();
/** Leases held by invocations still running in this instance. */
const activeLeases = new Map<string, LeaseArgs>();

// Second chance when the platform is about to stop this instance (wall clock, memory): the manifest
// already holds every recorded shard, so saving state means releasing the lease at once and passing the
// baton, instead of leaving the job to the sweep after the lease expires. A page still in flight is
// fenced off: recording it fails once the lease is gone.
addEventListener('beforeunload', (event) => {
  const reason = (event as CustomEvent<{ reason?: string }>).detail?.reason ?? 'unknown';
  for (const [jobId, lease] of activeLeases) {
    console.warn(`instance stopping (${reason}) while working on ${jobId}: handing off`);
    void supabase
      .rpc('hand_off_export_job', lease)
      .then(({ data }) => (data === true ? invokeNextCopy(jobId, undefined) : undefined));
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
      { error: 'Body must be JSON: {"jobId": "<uuid>", "budget"?: {"timeMs"?, "cpuMs"?}}' },
      { status: 400 },
    );
  }
  const { jobId, budget } = payload;
  const invocationLimits: WorkerLimits = {
    ...limits,
    timeBudgetMs: budget?.timeMs ?? limits.timeBudgetMs,
    cpuBudgetMs: budget?.cpuMs ?? limits.cpuBudgetMs,
  };
  EdgeRuntime.waitUntil(
    runExportInvocation(jobId, ports, invocationLimits, (lease) => activeLeases.set(jobId, lease))
      .then(async (result) => {
        console.log(`job ${jobId}: ${result.outcome}, ${result.shardsWritten} shards, ${result.rowsWritten} rows`);
        if (result.outcome === 'handoff') await invokeNextCopy(jobId, budget);
      })
      .catch((error: unknown) => console.error(`job ${jobId}: invocation crashed: ${String(error)}`))
      .finally(() => activeLeases.delete(jobId)),
  );
  return Response.json({ accepted: true, jobId }, { status: 202 });
});
