import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';
import type { ExportShard } from '@/lib/exports/types';

/** What the download needs of a written shard: where it is, what it must be, which write of it it is. */
export type FileShard = Pick<
  ExportShard,
  | 'shard_no'
  | 'storage_key'
  | 'bytes'
  | 'header_bytes'
  | 'sha256'
  | 'encoding'
  | 'gzip_bytes'
  | 'gzip_header_bytes'
  | 'gzip_sha256'
  | 'generation'
  | 'attempt'
>;

const COLUMNS =
  'shard_no, storage_key, bytes, header_bytes, sha256, encoding, gzip_bytes, gzip_header_bytes, gzip_sha256, generation, attempt';

/** PostgREST answers at most 1,000 rows a request (hosted default `max-rows`). */
const PAGE = 1000;

/**
 * The written shards of a job in file order, through the caller's client (RLS). File order is key order:
 * lanes hold ascending, disjoint key ranges and shards ascend within a lane (shard_no is only a label). Every
 * request reads this before its first byte, resumes included, so it reads only the columns the file
 * needs (not the support views' `listShards`) and, past one page, the other pages at once.
 */
export async function readFileManifest(client: TypedSupabaseClient, jobId: string): Promise<FileShard[]> {
  const page = (from: number, count?: 'exact') =>
    client
      .from('export_shards')
      .select(COLUMNS, count ? { count } : undefined)
      .eq('job_id', jobId)
      .eq('status', 'written')
      .order('lane')
      .order('lane_seq')
      .range(from, from + PAGE - 1)
      .returns<FileShard[]>();
  const first = await page(0, 'exact');
  if (first.error) throw new Error(`Reading the manifest of export ${jobId} failed: ${first.error.message}`);
  const total = first.count ?? first.data.length;
  const rest = await Promise.all(
    Array.from({ length: Math.max(0, Math.ceil(total / PAGE) - 1) }, (_, i) => page((i + 1) * PAGE)),
  );
  const failed = rest.find((r) => r.error);
  if (failed?.error) throw new Error(`Reading the manifest of export ${jobId} failed: ${failed.error.message}`);
  return [first, ...rest].flatMap((r) => r.data ?? []);
}
