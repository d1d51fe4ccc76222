import type { SupabaseClient } from '@supabase/supabase-js';
import { EXPORTS_BUCKET } from '../../supabase/functions/_shared/shard-key.ts';
import { chunksOf } from '../lib/streams';

/**
 * Fetches storage objects through supabase-js, `concurrency` at a time (started in order), reading every
 * body to its end and dropping it: the raw storage bound the download is compared with.
 */
export async function fetchObjects(
  client: SupabaseClient,
  storageKeys: readonly string[],
  concurrency: number,
): Promise<{ ms: number; bytes: number }> {
  const bucket = client.storage.from(EXPORTS_BUCKET);
  const started = performance.now();
  let bytes = 0;
  let next = 0;
  const worker = async () => {
    while (next < storageKeys.length) {
      const key = storageKeys[next++]!;
      const { data, error } = await bucket.download(key).asStream();
      if (error) throw new Error(`download ${key}: ${error.message}`);
      for await (const chunk of chunksOf(data as ReadableStream<Uint8Array>)) bytes += chunk.length;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { ms: performance.now() - started, bytes };
}
