import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { loadDotEnv } from '../devstack/config';
import { projectApiKeys } from '../devstack/context';
import { prepareDemo } from '../devstack/demo';
import { projectRoot, startDevstack } from '../devstack/stack';
import { e2ePorts } from './ports';

/**
 * The end-to-end stack, started by Playwright's webServer: a devstack on its own ports with a fresh data
 * dir and a small demo (20,000 blog posts), then a production build of the dashboard (`next build` +
 * `next start`) pointed at it through the environment (so the developer's `.env.local` is neither read for
 * these values nor rewritten). Production, not `next dev`: the tests see what users get (the enforced
 * style policy, HSTS), and no route waits for its first compile in the middle of a test.
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

const nextEnv = {
  ...process.env,
  NEXT_PUBLIC_SUPABASE_URL: context.apiUrl,
  NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY: projectApiKeys(context).publishable,
  SUPABASE_SECRET_KEY: projectApiKeys(context).secret,
  TYPESENSE_URL: context.typesenseUrl,
  TYPESENSE_API_KEY: context.config.typesenseApiKey,
  TYPESENSE_SEARCH_KEY: context.config.typesenseSearchKey,
  // A second Next.js build dir: `npm run dev` may be running beside the tests.
  BATON_NEXT_DIST_DIR: '.next-e2e',
  // Type-checked by `npm run typecheck` before the e2e tests run (next.config.ts).
  BATON_NEXT_SKIP_TYPECHECK: '1',
  NEXT_TELEMETRY_DISABLED: '1',
  // As `npm run dev` writes it: webhook receivers on this machine may be registered.
  BATON_WEBHOOK_ALLOW_LOOPBACK: 'true',
};
const nextCli = (args: string[]) =>
  spawn(process.execPath, ['node_modules/next/dist/bin/next', ...args], {
    cwd: projectRoot,
    stdio: 'inherit',
    env: nextEnv,
  });

// Whichever Next.js process runs now (the build, then the server): stopped with the stack.
let nextProcess: ChildProcess | undefined;
let stopping = false;
const stop = async (code = 0) => {
  if (stopping) return;
  stopping = true;
  nextProcess?.kill('SIGTERM');
  await stack.stop();
  process.exit(code);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());

// The build inlines NEXT_PUBLIC_* (this stack's URL and key), so it runs here, after the devstack is up.
nextProcess = nextCli(['build']);
const buildCode = await new Promise<number | null>((resolve) => nextProcess!.on('exit', resolve));
if (buildCode !== 0) {
  console.error(`next build exited with ${buildCode}: the end-to-end tests run against a production build`);
  await stop(1);
}
nextProcess = nextCli(['start', '--port', String(e2ePorts.next), '--hostname', '127.0.0.1']);
nextProcess.on('exit', () => void stop());
