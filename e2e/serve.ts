import { spawn } from 'node:child_process';
import path from 'node:path';
import { loadDotEnv } from '../devstack/config';
import { projectApiKeys } from '../devstack/context';
import { prepareDemo } from '../devstack/demo';
import { projectRoot, startDevstack } from '../devstack/stack';
import { e2ePorts } from './ports';

/**
 * The end-to-end stack, started by Playwright's webServer: a devstack on its own ports with a fresh data
 * dir and a small demo (20,000 blog posts), then `next dev` pointed at it through the environment (so the
 * developer's `.env.local` is neither read for these values nor rewritten).
 */
const E2E_BLOG_POSTS = 20_000;

// `.env` may switch the project to legacy keys (DEVSTACK_API_KEYS); the e2e stack follows it.
loadDotEnv(projectRoot);
const stack = await startDevstack({
  reset: true,
  config: {
    dataDir: path.join(projectRoot, '.devstack', 'e2e'),
    apiPort: e2ePorts.api,
    pgPort: e2ePorts.postgres,
    typesensePort: e2ePorts.typesense,
    // Sweep often, so a retried job resumes within seconds of its backoff.
    sweepIntervalMs: 2_000,
    demoBlogPosts: E2E_BLOG_POSTS,
  },
});
const { context } = stack;
await prepareDemo(context);

const next = spawn(
  process.execPath,
  ['node_modules/next/dist/bin/next', 'dev', '--port', String(e2ePorts.next), '--hostname', '127.0.0.1'],
  {
    cwd: projectRoot,
    stdio: 'inherit',
    env: {
      ...process.env,
      NEXT_PUBLIC_SUPABASE_URL: context.apiUrl,
      NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY: projectApiKeys(context).publishable,
      SUPABASE_SECRET_KEY: projectApiKeys(context).secret,
      TYPESENSE_URL: context.typesenseUrl,
      TYPESENSE_API_KEY: context.config.typesenseApiKey,
      TYPESENSE_SEARCH_KEY: context.config.typesenseSearchKey,
      // A second Next.js build dir: `npm run dev` may be running beside the tests.
      BATON_NEXT_DIST_DIR: '.next-e2e',
      // As `npm run dev` writes it: webhook receivers on this machine may be registered.
      BATON_WEBHOOK_ALLOW_LOOPBACK: 'true',
    },
  },
);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  next.kill('SIGTERM');
  await stack.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
next.on('exit', () => void stop());
