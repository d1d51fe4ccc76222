import { rpcError } from '@/lib/api/rpc-error';
import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';
import type { ExportStatus } from '@/lib/exports/types';

export type StorageUse = {
  total_bytes: number;
  /** Exports whose files are still stored, largest first. */
  exports: Array<{
    id: string;
    name: string;
    status: ExportStatus;
    bytes: number;
    expires_at: string | null;
    kept_until: string | null;
  }>;
};

/** What the organisation's export files take in storage, for its admins (`organisation_storage_use` checks the role). */
export async function organisationStorageUse(
  userClient: TypedSupabaseClient,
  organisationId: string,
): Promise<StorageUse> {
  const { data, error } = await userClient.rpc('organisation_storage_use', { p_organisation_id: organisationId });
  if (error) throw rpcError(error, `Reading the storage use of organisation ${organisationId}`);
  return data as StorageUse;
}
