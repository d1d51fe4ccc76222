import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import pg from 'pg';
import Typesense from 'typesense';
import type { Client as TypesenseClient } from 'typesense';
import { projectApiKeys } from '../../devstack/context';
import { demoUsers, prepareDemo } from '../../devstack/demo';
import { freePort } from '../../devstack/free-port';
import type { FunctionUsage } from '../../devstack/functions/handler';
import type { RealtimeUsage } from '../../devstack/realtime/quota';
import { projectRoot, startDevstack, type Devstack } from '../../devstack/stack';
import { typesenseAccess, type TypesenseAccess } from '../../lib/typesense/client';
import { HOSTED_CPU_LIMIT_MS } from '../../supabase/functions/_shared/worker-settings.ts';

/**
 * One devstack per benchmark run: a fresh data dir under `.devstack/bench`, free ports, quiet, demo data
 * (the Acme agency and its `blog_posts` source) of the size the run needs. Everything the scenarios use
 * goes through the official clients, as the app does.
 */

/** Hosted Edge Functions: 256 MB and 2 s of CPU per request (worker-settings.ts). Speed is measured there. */
export const HOSTED_HEAP_MB = 256;
export { HOSTED_CPU_LIMIT_MS };
/**
 * The memory scenario's V8 old-space cap: a quarter of the hosted 256 MB, as in the integration tests,
 * so "the heap stays flat" is shown far below the limit. Only there: under 64 MB V8 collects garbage far
 * more often (see README, Performance), which would understate speed.
 */
export const MEMORY_SCENARIO_HEAP_MB = 64;

export type BenchStack = {
  devstack: Devstack;
  apiUrl: string;
  typesenseUrl: string;
  typesenseApiKey: string;
  anonKey: string;
  serviceRoleKey: string;
  dataDir: string;
  /** Superuser pool: reads timing columns that PostgREST would also return, without RLS in the way. */
  db: pg.Pool;
  admin: SupabaseClient;
  /** The bootstrap key's client: seeding, reference reads. */
  typesense: TypesenseClient;
  /** Typesense as the app's routes use it: schemas, and searches under a source's scoped key. */
  appTypesense: TypesenseAccess;
  /** The demo agency's signed-in member (RLS applies), its organisation and blog_posts source. */
  user: { client: SupabaseClient; userId: string; accessToken: string; organisationId: string; sourceId: string };
  blogPosts: number;
  functionHeapMb: number;
  functionCpuLimitMs: number;
  /** How often the devstack's sweep (the pg_cron stand-in) runs: the hosted 10 s. */
  sweepIntervalMs: number;
  stop: () => Promise<void>;
};

/** Hosted pg_cron runs the sweep every 10 seconds; so does the bench's devstack. */
const SWEEP_INTERVAL_MS = 10_000;

function serviceClient(apiUrl: string, serviceRoleKey: string): SupabaseClient {
  return createClient(apiUrl, serviceRoleKey, {
    auth: { persistSession: false, autoRefreshToken: false },
  });
}

function typesenseClient(url: string, apiKey: string): TypesenseClient {
  const parsed = new URL(url);
  return new Typesense.Client({
    nodes: [{ host: parsed.hostname, port: Number(parsed.port), protocol: parsed.protocol.replace(':', '') }],
    apiKey,
    connectionTimeoutSeconds: 120,
    logLevel: 'silent',
  });
}

export async function startBenchStack(options: {
  blogPosts: number;
  functionHeapMb: number;
  functionCpuLimitMs: number;
  /** Connections of the REST (PostgREST) pool; default: the devstack's hosted-sized 10. */
  restPoolSize?: number;
  /**
   * Preload `pg_stat_statements` (as hosted projects do) and create it: what a scenario that measures
   * database time per statement reads. Off by default, so the other scenarios run as they always have.
   */
  statementStats?: boolean;
}): Promise<BenchStack> {
  const dataDir = path.join(
    projectRoot,
    '.devstack',
    'bench',
    `run-${process.pid}-${options.functionHeapMb}-${options.functionCpuLimitMs}-${options.restPoolSize ?? 'rest'}${options.statementStats ? '-stats' : ''}`,
  );
  const devstack = await startDevstack({
    reset: true,
    quiet: true,
    ...(options.statementStats
      ? {
          postgresSettings: {
            shared_preload_libraries: 'pg_stat_statements',
            // Planning is database time too: for the small statements of a live page, a good share of it.
            'pg_stat_statements.track_planning': 'on',
          },
        }
      : {}),
    config: {
      dataDir,
      pgPort: await freePort(),
      apiPort: 0,
      typesensePort: 0,
      // As hosted: lanes whose holder died, or that wait for a slot, are picked up by the sweep.
      sweepIntervalMs: SWEEP_INTERVAL_MS,
      demoBlogPosts: options.blogPosts,
      functionHeapMb: options.functionHeapMb,
      functionCpuLimitMs: options.functionCpuLimitMs,
      ...(options.restPoolSize ? { restPoolSize: options.restPoolSize } : {}),
    },
  });
  const { context } = devstack;
  await prepareDemo(context, { blogPosts: options.blogPosts });

  const demo = demoUsers[0];
  const client = createClient(context.apiUrl, projectApiKeys(context).publishable, {
    auth: { persistSession: false, autoRefreshToken: false },
  });
  const signedIn = await client.auth.signInWithPassword({ email: demo.email, password: demo.password });
  if (signedIn.error) throw signedIn.error;
  const db = new pg.Pool({
    connectionString: `postgres://postgres:postgres@127.0.0.1:${context.config.pgPort}/postgres`,
    max: 4,
  });
  // The devstack stops Postgres under the pool at the end (57P01): expected, not a crash.
  db.on('error', (error) => {
    if ((error as { code?: string }).code !== '57P01') console.error(`[bench] database: ${error.message}`);
  });
  if (options.statementStats)
    await db.query('create extension if not exists pg_stat_statements with schema extensions');
  const source = await db.query<{ id: string }>(
    `select id from public.export_sources where organisation_id = $1 and collection = 'blog_posts'`,
    [demo.organisationId],
  );
  const sourceId = source.rows[0]?.id;
  if (!sourceId) throw new Error('demo blog_posts source missing');

  const admin = serviceClient(context.apiUrl, projectApiKeys(context).secret);
  // A fresh data dir has an empty Deno cache: the first worker process downloads its npm packages (10–20 s
  // here). Boot one now (a job that does not exist: it answers, claims nothing and exits) so no
  // measurement pays for it.
  const warmUp = await admin.functions.invoke('export-worker', { body: { jobId: randomUUID() } });
  if (warmUp.error) throw new Error(`warming up the worker failed: ${warmUp.error.message}`);
  return {
    devstack,
    apiUrl: context.apiUrl,
    typesenseUrl: context.typesenseUrl,
    typesenseApiKey: context.config.typesenseApiKey,
    anonKey: projectApiKeys(context).publishable,
    serviceRoleKey: projectApiKeys(context).secret,
    dataDir,
    db,
    admin,
    typesense: typesenseClient(context.typesenseUrl, context.config.typesenseApiKey),
    appTypesense: typesenseAccess({
      url: context.typesenseUrl,
      apiKey: context.config.typesenseApiKey,
      searchKey: context.config.typesenseSearchKey,
    }),
    user: {
      client,
      userId: signedIn.data.user.id,
      accessToken: signedIn.data.session.access_token,
      organisationId: demo.organisationId,
      sourceId,
    },
    blogPosts: options.blogPosts,
    functionHeapMb: options.functionHeapMb,
    functionCpuLimitMs: options.functionCpuLimitMs,
    sweepIntervalMs: SWEEP_INTERVAL_MS,
    stop: async () => {
      await client.removeAllChannels();
      await admin.removeAllChannels();
      await db.end();
      await devstack.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Latency injected into the Typesense and Storage stand-ins; 0 clears every fault. */
export async function setLatency(stack: BenchStack, latencyMs: number): Promise<void> {
  const res =
    latencyMs === 0
      ? await fetch(`${stack.apiUrl}/_devstack/faults`, { method: 'DELETE' })
      : await fetch(`${stack.apiUrl}/_devstack/faults`, {
          method: 'PUT',
          body: JSON.stringify({ typesense: { latencyMs }, storage: { latencyMs } }),
        });
  if (!res.ok) throw new Error(`faults: ${res.status} ${await res.text()}`);
}

/** What the devstack metered for a function's ended invocations so far (`GET /_devstack/functions/usage`). */
export async function functionUsage(stack: BenchStack, name: string): Promise<FunctionUsage> {
  const res = await fetch(`${stack.apiUrl}/_devstack/functions/usage?name=${encodeURIComponent(name)}`);
  if (!res.ok) throw new Error(`functions/usage: ${res.status} ${await res.text()}`);
  return (await res.json()) as FunctionUsage;
}

/** The usage between two readings. */
export function usageSince(before: FunctionUsage, after: FunctionUsage): FunctionUsage {
  const stoppedBy: FunctionUsage['stoppedBy'] = {};
  for (const [reason, count] of Object.entries(after.stoppedBy) as Array<[keyof FunctionUsage['stoppedBy'], number]>) {
    const delta = count - (before.stoppedBy[reason] ?? 0);
    if (delta > 0) stoppedBy[reason] = delta;
  }
  return {
    ended: after.ended - before.ended,
    cpuMs: after.cpuMs - before.cpuMs,
    cpuMeasured: after.cpuMeasured - before.cpuMeasured,
    stoppedBy,
  };
}

/** The devstack's Realtime meter so far (`GET /_devstack/realtime/usage`). */
export async function realtimeUsage(stack: BenchStack): Promise<RealtimeUsage> {
  const res = await fetch(`${stack.apiUrl}/_devstack/realtime/usage`);
  if (!res.ok) throw new Error(`realtime/usage: ${res.status} ${await res.text()}`);
  return (await res.json()) as RealtimeUsage;
}
