import { readFile } from 'node:fs/promises';
import { createClient } from '@supabase/supabase-js';
import { fetchObjects } from './fetch-objects';
import { requiredEnv } from '../lib/env';

/**
 * The download scenario's memory control, alone in its own process: fetches the export's objects
 * CONCURRENCY at a time and drops them, with no verification, no read-ahead window and no client, so
 * its RSS growth is what Node's fetch of those bytes costs by itself. Prints {"ready": true} after a
 * warm-up fetch, idles IDLE_MS (the parent's idle RSS), fetches, prints {"ms", "bytes"} and exits.
 *
 * Env: API_URL, SERVICE_ROLE_KEY, KEYS_FILE (a JSON array of storage keys), CONCURRENCY, IDLE_MS.
 */
const admin = createClient(requiredEnv('API_URL'), requiredEnv('SERVICE_ROLE_KEY'), {
  auth: { persistSession: false, autoRefreshToken: false },
});
const storageKeys = JSON.parse(await readFile(requiredEnv('KEYS_FILE'), 'utf8')) as string[];
await fetchObjects(admin, storageKeys.slice(0, 1), 1);
console.log(JSON.stringify({ ready: true }));
await new Promise((resolve) => setTimeout(resolve, Number(requiredEnv('IDLE_MS'))));
console.log(JSON.stringify(await fetchObjects(admin, storageKeys, Number(requiredEnv('CONCURRENCY')))));
