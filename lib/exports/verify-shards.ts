import { createHash } from 'node:crypto';
import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';
import { EXPORTS_BUCKET } from '@/supabase/functions/_shared/shard-key.ts';
import type { ExportShard } from './types';

export type ShardCheck =
  | { shardNo: number; state: 'ok' }
  | { shardNo: number; state: 'missing' }
  | { shardNo: number; state: 'size_mismatch'; expectedBytes: number; actualBytes: number }
  | { shardNo: number; state: 'checksum_mismatch'; expectedSha256: string; actualSha256: string };

/** Shards checked at once: enough to hide storage latency, few enough not to flood it. */
const CONCURRENCY = 8;

/** What the object in storage must be: its gzip form for a shard stored compressed, else its plain bytes. */
function storedForm(shard: ExportShard): { bytes: number; sha256: string } {
  return shard.encoding === 'gzip' && shard.gzip_bytes !== null && shard.gzip_sha256 !== null
    ? { bytes: shard.gzip_bytes, sha256: shard.gzip_sha256 }
    : { bytes: shard.bytes, sha256: shard.sha256 };
}

async function checkShard(admin: TypedSupabaseClient, shard: ExportShard, checksums: boolean): Promise<ShardCheck> {
  const expected = storedForm(shard);
  const bucket = admin.storage.from(EXPORTS_BUCKET);
  const info = await bucket.info(shard.storage_key);
  if (info.error) {
    const code = (info.error as { statusCode?: string }).statusCode;
    if (code === '404' || /not found/i.test(info.error.message)) return { shardNo: shard.shard_no, state: 'missing' };
    throw new Error(`Storage info for shard ${shard.shard_no} failed: ${info.error.message}`);
  }
  const actualBytes = Number(info.data.size);
  if (actualBytes !== expected.bytes) {
    return { shardNo: shard.shard_no, state: 'size_mismatch', expectedBytes: expected.bytes, actualBytes };
  }
  if (!checksums) return { shardNo: shard.shard_no, state: 'ok' };

  // Hash the object as it streams: never hold a whole shard.
  const stream = await bucket.download(shard.storage_key).asStream();
  if (stream.error || !stream.data) return { shardNo: shard.shard_no, state: 'missing' };
  const hash = createHash('sha256');
  for await (const chunk of stream.data as unknown as AsyncIterable<Uint8Array>) hash.update(chunk);
  const actualSha256 = hash.digest('hex');
  return actualSha256 === expected.sha256
    ? { shardNo: shard.shard_no, state: 'ok' }
    : { shardNo: shard.shard_no, state: 'checksum_mismatch', expectedSha256: expected.sha256, actualSha256 };
}

/**
 * Compares the manifest with what storage really holds (the support view's "verify"): every written
 * shard's object must exist with the recorded size and, when `checksums` is set, the recorded sha256 — of
 * the object as stored (the gzip form for shards stored compressed).
 */
export async function verifyShards(
  admin: TypedSupabaseClient,
  shards: readonly ExportShard[],
  options: { checksums: boolean },
): Promise<ShardCheck[]> {
  const written = shards.filter((s) => s.status === 'written');
  const results: ShardCheck[] = new Array(written.length);
  let next = 0;
  const worker = async () => {
    while (next < written.length) {
      const index = next++;
      results[index] = await checkShard(admin, written[index]!, options.checksums);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, written.length) }, worker));
  return results;
}
