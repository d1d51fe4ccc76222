import { readFile } from 'node:fs/promises';
import { createClient } from '@supabase/supabase-js';
import { fetchObjects } from './fetch-objects';

/**
 * The download scenario's memory control, alone in its own process: fetches the export's objects
 * CONCURRENCY at a time and drops them, with no verification, no read-ahead window and no client, so
 * its RSS growth is what Node's fetch of those bytes costs by itself. Prints {"ready": true} after a
 * warm-up fetch, idles IDLE_MS (the parent's idle RSS), fetches, prints {"ms", "bytes"} and exits.
 *
 * Env: API_URL, SERVICE_ROLE_KEY, KEYS_FILE (a JSON array of storage keys), CONCURRENCY, IDLE_MS.
 */
const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};
const admin = createClient(env('API_URL'), env('SERVICE_ROLE_KEY'), {
  auth: { persistSession: false, autoRefreshToken: false },
});
const storageKeys = JSON.parse(await readFile(env('KEYS_FILE'), 'utf8')) as string[];
await fetchObjects(admin, storageKeys.slice(0, 1), 1);
console.log(JSON.stringify({ ready: true }));
await new Promise((resolve) => setTimeout(resolve, Number(env('IDLE_MS'))));
console.log(JSON.stringify(await fetchObjects(admin, storageKeys, Number(env('CONCURRENCY')))));
