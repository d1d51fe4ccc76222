import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { defaultFunctionCacheDir, nodeModulesTreeAbove } from './functions/hosted-runtime';
import type { ApiKeyMode } from './jwt';
import { HOSTED_RATE_TICK_MS, realtimePlanNames, type RealtimePlan } from './realtime/quota';

/**
 * Devstack configuration, read once from the environment (see `.env.example`).
 * Every port and limit can be overridden so tests can run several stacks side by side.
 */
const port = z.coerce.number().int().min(0).max(65535);

const schema = z.object({
  DEVSTACK_DATA_DIR: z.string().min(1).default('.devstack'),
  DEVSTACK_PG_PORT: port.default(54322),
  DEVSTACK_API_PORT: port.default(54321),
  DEVSTACK_TYPESENSE_PORT: port.default(8108),
  DEVSTACK_HOST: z.string().min(1).default('127.0.0.1'),
  /** Hosted Edge Functions: 256 MB memory, 150 s wall clock on the free plan. */
  DEVSTACK_FUNCTION_MEMORY_MB: z.coerce.number().int().min(16).default(256),
  /** V8 heap cap of a function (defaults to the memory cap). */
  DEVSTACK_FUNCTION_HEAP_MB: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.coerce.number().int().min(16).optional(),
  ),
  DEVSTACK_FUNCTION_WALL_CLOCK_MS: z.coerce.number().int().min(100).default(150_000),
  /** CPU of a function's isolate thread per invocation (hosted: 2 s); empty: not enforced. */
  DEVSTACK_FUNCTION_CPU_LIMIT_MS: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.coerce.number().int().min(10).optional(),
  ),
  /**
   * Deno's module cache for function processes (DENO_DIR); empty: `~/.cache/baton/deno-<version>`. Never
   * inside a folder tree with a `node_modules` (hosted bundles have none: see functions/hosted-runtime.ts).
   */
  DEVSTACK_DENO_DIR: z.preprocess((v) => (v === '' ? undefined : v), z.string().optional()),
  /**
   * Connections of the REST service's pool (PostgREST's `db-pool`): hosted projects get a small one that
   * follows the compute size, and the Supabase CLI's local stack runs it at 10; so does the devstack.
   */
  DEVSTACK_REST_POOL_SIZE: z.coerce.number().int().min(1).max(500).default(10),
  /** pg_cron stand-in: how often the export sweep runs (hosted: every 10 s). */
  DEVSTACK_SWEEP_INTERVAL_MS: z.coerce.number().int().min(100).default(10_000),
  DEVSTACK_TYPESENSE_API_KEY: z.string().min(1).default('baton-dev-typesense-key'),
  /** A stored key allowed only `documents:search`: the parent of the scoped keys the app and worker derive. */
  DEVSTACK_TYPESENSE_SEARCH_KEY: z.string().min(1).default('baton-dev-typesense-search-key'),
  /** Demo data size: the default demo has at least 100,000 blog posts. */
  DEVSTACK_DEMO_BLOG_POSTS: z.coerce.number().int().min(0).default(100_000),
  /**
   * `new`: a 2026 project (publishable / secret keys, ES256 user tokens); `legacy`: a project still on
   * its JWT secret (anon / service-role JWT keys, HS256 user tokens).
   */
  DEVSTACK_API_KEYS: z.enum(['new', 'legacy']).default('new'),
  /** Hosted Realtime answers a refused join after 5 s (CHANNEL_ERROR_BACKOFF_MS), slowing retry storms. */
  DEVSTACK_REALTIME_ERROR_BACKOFF_MS: z.coerce.number().int().min(0).default(5_000),
  /** Hosted Realtime answers a refused socket after 2 s (CONNECT_ERROR_BACKOFF_MS). */
  DEVSTACK_REALTIME_CONNECT_ERROR_BACKOFF_MS: z.coerce.number().int().min(0).default(2_000),
  /** The plan whose Realtime limits the devstack enforces (realtime/quota.ts): messages, joins, connections. */
  DEVSTACK_REALTIME_PLAN: z.enum(realtimePlanNames).default('pro'),
  /** Hosted counts Realtime rates in 5 s ticks averaged over the last 12 (a minute). */
  DEVSTACK_REALTIME_RATE_TICK_MS: z.coerce.number().int().min(10).max(60_000).default(HOSTED_RATE_TICK_MS),
});

export type DevstackConfig = {
  dataDir: string;
  host: string;
  pgPort: number;
  apiPort: number;
  typesensePort: number;
  functionMemoryMb: number;
  functionHeapMb: number | undefined;
  functionWallClockMs: number;
  functionCpuLimitMs: number | undefined;
  functionCacheDir: string;
  restPoolSize: number;
  sweepIntervalMs: number;
  typesenseApiKey: string;
  typesenseSearchKey: string;
  demoBlogPosts: number;
  apiKeyMode: ApiKeyMode;
  realtimeErrorBackoffMs: number;
  realtimeConnectErrorBackoffMs: number;
  realtimePlan: RealtimePlan;
  realtimeRateTickMs: number;
};

/**
 * Reads the project's `.env` (if any) into `process.env`, without overriding what is already set, so
 * switches such as `DEVSTACK_API_KEYS` can live there for the devstack and the tests alike (Next.js
 * reads the same file for the app).
 */
export function loadDotEnv(root: string): void {
  const file = path.join(root, '.env');
  if (existsSync(file)) process.loadEnvFile(file);
}

export function readDevstackConfig(
  env: Record<string, string | undefined> = process.env,
  overrides: Partial<DevstackConfig> = {},
): DevstackConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new Error(`Invalid devstack environment: ${z.prettifyError(parsed.error)}`);
  }
  const e = parsed.data;
  const functionCacheDir = path.resolve(e.DEVSTACK_DENO_DIR ?? defaultFunctionCacheDir(env));
  const nodeModulesTree = nodeModulesTreeAbove(functionCacheDir);
  if (nodeModulesTree) {
    throw new Error(
      `Invalid devstack environment: DEVSTACK_DENO_DIR (${functionCacheDir}) lies inside ${nodeModulesTree}, which has a node_modules folder; functions would resolve npm modules from it, as no hosted function can. Choose a folder outside it (empty: ${defaultFunctionCacheDir(env)}).`,
    );
  }
  return {
    dataDir: path.resolve(e.DEVSTACK_DATA_DIR),
    host: e.DEVSTACK_HOST,
    pgPort: e.DEVSTACK_PG_PORT,
    apiPort: e.DEVSTACK_API_PORT,
    typesensePort: e.DEVSTACK_TYPESENSE_PORT,
    functionMemoryMb: e.DEVSTACK_FUNCTION_MEMORY_MB,
    functionHeapMb: e.DEVSTACK_FUNCTION_HEAP_MB,
    functionWallClockMs: e.DEVSTACK_FUNCTION_WALL_CLOCK_MS,
    functionCpuLimitMs: e.DEVSTACK_FUNCTION_CPU_LIMIT_MS,
    functionCacheDir,
    restPoolSize: e.DEVSTACK_REST_POOL_SIZE,
    sweepIntervalMs: e.DEVSTACK_SWEEP_INTERVAL_MS,
    typesenseApiKey: e.DEVSTACK_TYPESENSE_API_KEY,
    typesenseSearchKey: e.DEVSTACK_TYPESENSE_SEARCH_KEY,
    demoBlogPosts: e.DEVSTACK_DEMO_BLOG_POSTS,
    apiKeyMode: e.DEVSTACK_API_KEYS,
    realtimeErrorBackoffMs: e.DEVSTACK_REALTIME_ERROR_BACKOFF_MS,
    realtimeConnectErrorBackoffMs: e.DEVSTACK_REALTIME_CONNECT_ERROR_BACKOFF_MS,
    realtimePlan: e.DEVSTACK_REALTIME_PLAN,
    realtimeRateTickMs: e.DEVSTACK_REALTIME_RATE_TICK_MS,
    ...overrides,
  };
}
