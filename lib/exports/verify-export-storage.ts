import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';
import { getOperableExportOrThrow } from './get-operable-export-or-throw';
import { readExportManifest, type ExportManifestRead } from './read-export-manifest';
import { verifyShards, type ShardCheck, type ShardStorage } from './verify-shards';

/**
 * The support view's "verify storage": the whole manifest and what storage really holds for each written
 * shard. It reads every object (or one byte of each), so it is an operator's action: a viewer gets a 403
 * before the manifest or any object is read.
 */
export async function verifyExportStorage(
  deps: { user: { supabase: TypedSupabaseClient } } & ShardStorage,
  jobId: string,
  options: { checksums: boolean },
): Promise<ExportManifestRead & { verification: ShardCheck[] }> {
  await getOperableExportOrThrow(deps.user.supabase, jobId);
  const manifest = await readExportManifest(deps.user.supabase, jobId);
  return { ...manifest, verification: await verifyShards(deps, manifest.shards, options) };
}
