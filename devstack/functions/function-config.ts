import { readFile } from 'node:fs/promises';
import { parse } from 'smol-toml';
import { z } from 'zod';

/**
 * Per-function settings from `supabase/config.toml`, read as the Supabase CLI reads them
 * (`pkg/config/config.go`): `[functions.<name>] verify_jwt = false` turns the platform's JWT gate off for
 * that function; the default is on. Read on every invocation, so an edit applies without a restart.
 */
const configSchema = z
  .object({
    functions: z.record(z.string(), z.object({ verify_jwt: z.boolean().optional() }).passthrough()).optional(),
  })
  .passthrough();

export async function verifyJwtEnabled(configTomlPath: string | null, name: string): Promise<boolean> {
  if (!configTomlPath) return true;
  let text: string;
  try {
    text = await readFile(configTomlPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw error;
  }
  const config = configSchema.parse(parse(text));
  return config.functions?.[name]?.verify_jwt ?? true;
}
