import { createHash } from 'node:crypto';
import { encodeShard } from '../../supabase/functions/_shared/export-format.ts';
import { EXPORTS_BUCKET, shardStorageKey } from '../../supabase/functions/_shared/shard-key.ts';
import type { BenchStack } from '../lib/stack';

/**
 * A completed CSV export of `shardCount` shards of about 1 MiB each, built directly (like the download
 * test's syntheticExport): real objects in storage and a real manifest, without spending the ~20 minutes
 * a real 1 GB export takes. Uploads run 4 at a time to keep set-up short.
 */
export async function syntheticExport(
  stack: BenchStack,
  shardCount: number,
): Promise<{ jobId: string; bytes: number }> {
  const { organisationId, sourceId, userId } = stack.user;
  const { rows } = await stack.db.query<{ id: string }>(
    `insert into public.export_jobs (organisation_id, source_id, requested_by, collection, key_field, fields, format,
       estimated_rows, status, tail_complete, finished_at)
     values ($1, $2, $3, 'blog_posts', 'hs_object_id', '{hs_object_id,body}', 'csv', $4, 'completed', true, now()) returning id`,
    [organisationId, sourceId, userId, shardCount * 100],
  );
  const jobId = rows[0]?.id;
  if (!jobId) throw new Error('insert returned no job');
  const body = 'x'.repeat(10_470);
  let bytes = 0;
  const bucket = stack.admin.storage.from(EXPORTS_BUCKET);
  const writeShard = async (n: number) => {
    const docs = Array.from({ length: 100 }, (_, i) => ({ hs_object_id: n * 1000 + i, body }));
    const shard = encodeShard(docs, { format: 'csv', fields: ['hs_object_id', 'body'], neutraliseFormulas: true });
    const key = shardStorageKey({ organisationId, jobId, lane: 1, laneSeq: n, generation: 1, format: 'csv' });
    const { error } = await bucket.upload(key, shard.bytes, { upsert: true, contentType: 'text/csv' });
    if (error) throw new Error(`upload ${key}: ${error.message}`);
    await stack.db.query(
      `insert into public.export_shards (job_id, shard_no, lane_seq, key_after, key_last, rows, bytes, header_bytes, sha256, storage_key, generation, invocation_id)
       values ($1, $2, $2, $3, $4, 100, $5, $6, $7, $8, 1, gen_random_uuid())`,
      [
        jobId,
        n,
        n === 1 ? null : (n - 1) * 1000 + 99,
        n * 1000 + 99,
        shard.bytes.length,
        shard.headerBytes,
        createHash('sha256').update(shard.bytes).digest('hex'),
        key,
      ],
    );
    bytes += n === 1 ? shard.bytes.length : shard.bytes.length - shard.headerBytes;
  };
  let next = 1;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next <= shardCount) await writeShard(next++);
    }),
  );
  return { jobId, bytes };
}
