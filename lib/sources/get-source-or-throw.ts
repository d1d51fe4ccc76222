import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';
import { AppError } from '@/lib/api/app-error';
import type { ExportSource } from '@/lib/sources/types';

/** A source of the caller's organisation (RLS): another organisation's source is a 404 like a missing one. */
export async function getSourceOrThrow(userClient: TypedSupabaseClient, sourceId: string): Promise<ExportSource> {
  const { data, error } = await userClient
    .from('export_sources')
    .select('id, organisation_id, collection, label, key_field, mandatory_filter')
    .eq('id', sourceId)
    .maybeSingle<ExportSource>();
  if (error) throw new Error(`Reading source ${sourceId} failed: ${error.message}`);
  if (!data) throw new AppError('not_found', `Source ${sourceId} was not found in your organisation.`);
  return data;
}
