import { z } from 'zod';

/**
 * The export worker's limits, read from its environment and checked together at start: a combination
 * that cannot work (a budget past the platform's limit, a lease too short to renew) stops the worker at
 * boot with every problem named, instead of failing each claim in silence. A per-job budget is checked
 * against the same limits when it arrives.
 */

/** Hosted Edge Functions: 2 s of CPU per request (Supabase's limits page; some notes quote 200 ms). */
export const HOSTED_CPU_LIMIT_MS = 2_000;
/** Hosted wall clock per invocation: 150 s on the free plan (400 s paid). */
const HOSTED_WALL_CLOCK_MS = 150_000;
/** Share of the CPU limit a worker spends before it hands off: the rest covers the page in flight. */
const CPU_BUDGET_SHARE = 0.8;
/** Wall time kept free after the time budget: the last page, the hand-off call and waitUntil's tail. */
const WALL_CLOCK_RESERVE_MS = 10_000;

/** A whole number in range; an empty value (as .env files write "unset") counts as unset. */
const integer = (min: number, max: number) =>
  z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().min(min).max(max).optional());

const envSchema = z.object({
  BATON_EDGE_CPU_LIMIT_MS: integer(50, 60_000),
  BATON_EDGE_WALL_CLOCK_MS: integer(1_000, 3_600_000),
  BATON_WORKER_TIME_BUDGET_MS: integer(200, 400_000),
  BATON_WORKER_CPU_BUDGET_MS: integer(40, 400_000),
  BATON_WORKER_LEASE_SECONDS: integer(3, 600),
  BATON_WORKER_PROGRESS_INTERVAL_MS: integer(0, 60_000),
  BATON_STORAGE_TIMEOUT_MS: integer(100, 300_000),
});

export type WorkerSettings = {
  cpuLimitMs: number;
  wallClockMs: number;
  /** Hand off once this much wall time has passed since the lease was taken. */
  timeBudgetMs: number;
  /** Hand off once the isolate has used this much CPU since the lease was taken. */
  cpuBudgetMs: number;
  /** The lease a claim takes; every recorded shard (or an idle heartbeat at a third of it) renews it. */
  leaseSeconds: number;
  /** Job-row progress is published at most this often per job, so Realtime traffic stays flat. */
  progressIntervalMs: number;
  storageTimeoutMs: number;
};

export type Budget = { timeMs?: number; cpuMs?: number };

/** The problems with a budget under these platform limits (empty: it can work). */
export function budgetProblems(limits: { cpuLimitMs: number; wallClockMs: number }, budget: Budget): string[] {
  const problems: string[] = [];
  if (budget.cpuMs !== undefined && budget.cpuMs >= limits.cpuLimitMs) {
    problems.push(
      `a CPU budget of ${budget.cpuMs} ms reaches the platform's CPU limit of ${limits.cpuLimitMs} ms: the isolate would be stopped mid-page`,
    );
  }
  if (budget.timeMs !== undefined && budget.timeMs > limits.wallClockMs - WALL_CLOCK_RESERVE_MS) {
    problems.push(
      `a time budget of ${budget.timeMs} ms leaves less than ${WALL_CLOCK_RESERVE_MS} ms of the ${limits.wallClockMs} ms wall clock for the last page and the hand-off`,
    );
  }
  return problems;
}

export function parseWorkerSettings(env: Record<string, string | undefined>): WorkerSettings {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) throw new Error(`Invalid export worker settings: ${z.prettifyError(parsed.error)}`);
  const e = parsed.data;
  const cpuLimitMs = e.BATON_EDGE_CPU_LIMIT_MS ?? HOSTED_CPU_LIMIT_MS;
  const settings: WorkerSettings = {
    cpuLimitMs,
    wallClockMs: e.BATON_EDGE_WALL_CLOCK_MS ?? HOSTED_WALL_CLOCK_MS,
    timeBudgetMs: e.BATON_WORKER_TIME_BUDGET_MS ?? 45_000,
    cpuBudgetMs: e.BATON_WORKER_CPU_BUDGET_MS ?? Math.floor(cpuLimitMs * CPU_BUDGET_SHARE),
    leaseSeconds: e.BATON_WORKER_LEASE_SECONDS ?? 8,
    progressIntervalMs: e.BATON_WORKER_PROGRESS_INTERVAL_MS ?? 500,
    storageTimeoutMs: e.BATON_STORAGE_TIMEOUT_MS ?? 30_000,
  };
  const problems = budgetProblems(settings, { timeMs: settings.timeBudgetMs, cpuMs: settings.cpuBudgetMs });
  if (settings.storageTimeoutMs >= settings.wallClockMs - WALL_CLOCK_RESERVE_MS) {
    problems.push(`BATON_STORAGE_TIMEOUT_MS (${settings.storageTimeoutMs}) must end well inside the wall clock`);
  }
  if (problems.length > 0) throw new Error(`Invalid export worker settings: ${problems.join('; ')}.`);
  return settings;
}

/** This job's limits: its own budget where it has one, the worker's otherwise. */
export function withBudget(settings: WorkerSettings, budget: Budget | undefined): WorkerSettings {
  return {
    ...settings,
    timeBudgetMs: budget?.timeMs ?? settings.timeBudgetMs,
    cpuBudgetMs: budget?.cpuMs ?? settings.cpuBudgetMs,
  };
}
