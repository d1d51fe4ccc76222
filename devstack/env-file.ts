import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import type { DevstackContext } from './context';

const MARKER = '# Written by the devstack (npm run dev). Delete this line to keep your own values.';

/**
 * Writes `.env.local` so Next.js (and scripts) talk to this devstack. A file without the marker line
 * belongs to the user (e.g. pointed at hosted Supabase) and is left untouched.
 */
export async function writeEnvLocal(file: string, ctx: DevstackContext): Promise<'written' | 'kept'> {
  if (existsSync(file) && !(await readFile(file, 'utf8')).startsWith(MARKER)) return 'kept';
  const lines = [
    MARKER,
    `NEXT_PUBLIC_SUPABASE_URL=${ctx.apiUrl}`,
    `NEXT_PUBLIC_SUPABASE_ANON_KEY=${ctx.keys.anonKey}`,
    `SUPABASE_SERVICE_ROLE_KEY=${ctx.keys.serviceRoleKey}`,
    `SUPABASE_JWT_SECRET=${ctx.keys.jwtSecret}`,
    `TYPESENSE_URL=${ctx.typesenseUrl}`,
    `TYPESENSE_API_KEY=${ctx.config.typesenseApiKey}`,
    '',
  ];
  await writeFile(file, lines.join('\n'), { mode: 0o600 });
  return 'written';
}
