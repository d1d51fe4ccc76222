import path from 'node:path';
import { loadDotEnv } from './config';
import { projectApiKeys } from './context';
import { prepareDemo } from './demo';
import { writeEnvLocal } from './env-file';
import { projectRoot, startDevstack, type Devstack } from './stack';

/**
 * `npm run devstack [-- --reset]`: the local Supabase + Typesense stand-in with demo data, until Ctrl-C.
 * `npm run dev` starts the same thing and the dashboard beside it (devstack/dev.ts).
 */
export async function runDevstack(argv: string[]): Promise<Devstack> {
  const reset = argv.includes('--reset');
  const started = Date.now();
  loadDotEnv(projectRoot);
  const stack = await startDevstack({ reset });
  const { context } = stack;
  const envFile = await writeEnvLocal(path.join(projectRoot, '.env.local'), context);
  const demo = await prepareDemo(context);
  const keys = projectApiKeys(context);
  const legacy = context.config.apiKeyMode === 'legacy';

  console.log(
    [
      '',
      `devstack ready in ${((Date.now() - started) / 1000).toFixed(1)} s${reset ? ' (data reset)' : ''}`,
      `  Supabase API   ${context.apiUrl}   (rest, auth, storage, realtime, functions)`,
      `  Typesense      ${context.typesenseUrl}`,
      `  Postgres       postgres://postgres:postgres@127.0.0.1:${context.config.pgPort}/postgres`,
      legacy
        ? '  API keys       legacy JWT keys (DEVSTACK_API_KEYS=legacy): HS256 user tokens'
        : `  API keys       publishable and secret keys; ES256 user tokens, JWKS ${context.apiUrl}/auth/v1/.well-known/jwks.json`,
      `    ${legacy ? 'anon        ' : 'publishable '} ${keys.publishable}`,
      `    ${legacy ? 'service_role' : 'secret      '} ${keys.secret}`,
      `  .env.local     ${envFile === 'written' ? 'written' : 'kept (no devstack marker: your own values)'}`,
      '',
      '  Demo sign-ins:',
      ...demo.users.map((u) => `    ${u.email.padEnd(28)} ${u.password.padEnd(16)} ${u.organisation}`),
      '',
    ].join('\n'),
  );
  return stack;
}

function stopOnSignals(stop: () => Promise<void>) {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      void stop().finally(() => process.exit(0));
    });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const stack = await runDevstack(process.argv.slice(2));
  stopOnSignals(stack.stop);
}

export { stopOnSignals };
