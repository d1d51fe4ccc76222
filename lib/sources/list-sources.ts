import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';
import type { ExportSource } from '@/lib/sources/types';

/** The caller's organisation's sources (RLS decides which), by label. */
export async function listSources(userClient: TypedSupabaseClient): Promise<ExportSource[]> {
  const { data, error } = await userClient
    .from('export_sources')
    .select('id, organisation_id, collection, label, key_field, mandatory_filter')
    .order('label');
  if (error) throw new Error(`Listing sources failed: ${error.message}`);
  return data;
}
