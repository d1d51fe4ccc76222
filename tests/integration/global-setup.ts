import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { loadDotEnv } from '../../devstack/config';
import { projectApiKeys } from '../../devstack/context';
import { freePort } from '../../devstack/free-port';
import { startDevstack, projectRoot } from '../../devstack/stack';
import type { TestStack } from './stack-info';

/**
 * Starts one devstack for the integration suite on free ports with a fresh data dir, so it can run
 * beside `npm run dev` and beside another suite.
 */
export default async function setup(project: TestProject) {
  // The export worker reads these (the devstack passes BATON_* through to functions): a 1.5 s slice
  // forces many hand-offs in every export test; leases keep their 8 s default (heartbeats renew them).
  process.env.BATON_WORKER_TIME_BUDGET_MS = '1500';
  process.env.BATON_WORKER_PROGRESS_INTERVAL_MS = '250';
  // Webhook retries in milliseconds instead of seconds to hours, and a 500 ms attempt timeout, so the
  // fault tests retry many times within a few seconds (production values: webhook-settings.ts).
  process.env.BATON_WEBHOOK_TIMEOUT_MS = '500';
  process.env.BATON_WEBHOOK_RETRY_FIRST_DELAY_MS = '50';
  process.env.BATON_WEBHOOK_RETRY_MAX_DELAY_MS = '400';
  process.env.BATON_WEBHOOK_RETRY_WINDOW_MS = '120000';
  process.env.BATON_WEBHOOK_TIME_BUDGET_MS = '5000';
  // `.env` may switch the project to legacy keys (DEVSTACK_API_KEYS=legacy): the whole suite follows.
  loadDotEnv(projectRoot);
  const dataDir = path.join(projectRoot, '.devstack', `test-${process.pid}`);
  const stack = await startDevstack({
    reset: true,
    quiet: true,
    extraFunctionsDir: path.join(projectRoot, 'tests', 'fixtures', 'functions'),
    config: {
      dataDir,
      pgPort: await freePort(),
      apiPort: 0,
      typesensePort: 0,
      // Tests start their own runs of the sweep; a timer would race with them.
      sweepIntervalMs: 3_600_000,
      demoBlogPosts: 0,
      // The worker must complete exports many times larger than its V8 heap (design invariant 1).
      functionHeapMb: 64,
      // Hosted answers a refused Realtime join after 5 s, a refused socket after 2 s; tests need not wait.
      realtimeErrorBackoffMs: 200,
      realtimeConnectErrorBackoffMs: 200,
    },
  });
  const { context } = stack;
  const info: TestStack = {
    apiUrl: context.apiUrl,
    typesenseUrl: context.typesenseUrl,
    typesenseApiKey: context.config.typesenseApiKey,
    typesenseSearchKey: context.config.typesenseSearchKey,
    publishableKey: projectApiKeys(context).publishable,
    secretKey: projectApiKeys(context).secret,
    apiKeyMode: context.config.apiKeyMode,
    pgConnectionString: `postgres://postgres:postgres@127.0.0.1:${context.config.pgPort}/postgres`,
    dataDir,
  };
  project.provide('stack', info);
  return async () => {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
}
