import { randomBytes } from 'node:crypto';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { DevstackKeys } from './context';
import { JwtService } from './jwt';

const keysSchema = z.object({ jwtSecret: z.string().min(32), anonKey: z.string(), serviceRoleKey: z.string() });

/** API keys are JWTs like hosted Supabase's legacy keys; ten years keeps them valid for any dev data dir. */
const API_KEY_LIFETIME_SECONDS = 10 * 365 * 24 * 3600;

/**
 * The project's JWT secret and the anon / service-role keys signed with it. Generated on the first
 * start of a data dir and kept in `<dataDir>/keys.json`, so sessions and `.env.local` stay valid across restarts.
 */
export async function loadOrCreateKeys(dataDir: string): Promise<DevstackKeys> {
  const file = path.join(dataDir, 'keys.json');
  try {
    return keysSchema.parse(JSON.parse(await readFile(file, 'utf8')));
  } catch {
    const jwtSecret = randomBytes(32).toString('hex');
    const jwt = new JwtService(jwtSecret);
    const keys: DevstackKeys = {
      jwtSecret,
      anonKey: await jwt.sign({ iss: 'supabase', role: 'anon' }, API_KEY_LIFETIME_SECONDS),
      serviceRoleKey: await jwt.sign({ iss: 'supabase', role: 'service_role' }, API_KEY_LIFETIME_SECONDS),
    };
    await mkdir(dataDir, { recursive: true });
    await writeFile(file, JSON.stringify(keys, null, 2), { mode: 0o600 });
    return keys;
  }
}
