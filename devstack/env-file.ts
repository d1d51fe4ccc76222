import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { projectApiKeys, type DevstackContext } from './context';

const MARKER = '# Written by the devstack (npm run dev). Delete this line to keep your own values.';

/**
 * Writes `.env.local` so Next.js (and scripts) talk to this devstack. A file without the marker line
 * belongs to the user (e.g. pointed at hosted Supabase) and is left untouched.
 */
export async function writeEnvLocal(file: string, ctx: DevstackContext): Promise<'written' | 'kept'> {
  if (existsSync(file) && !(await readFile(file, 'utf8')).startsWith(MARKER)) return 'kept';
  const keys = projectApiKeys(ctx);
  const lines = [
    MARKER,
    `NEXT_PUBLIC_SUPABASE_URL=${ctx.apiUrl}`,
    `NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY=${keys.publishable}`,
    `SUPABASE_SECRET_KEY=${keys.secret}`,
    `TYPESENSE_URL=${ctx.typesenseUrl}`,
    `TYPESENSE_API_KEY=${ctx.config.typesenseApiKey}`,
    `TYPESENSE_SEARCH_KEY=${ctx.config.typesenseSearchKey}`,
    // Webhook receivers on this machine may be registered (the devstack's functions deliver to them too).
    'BATON_WEBHOOK_ALLOW_LOOPBACK=true',
    '',
  ];
  await writeFile(file, lines.join('\n'), { mode: 0o600 });
  return 'written';
}
