import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';
import type { ApiTokenRow } from './types';

/** The tokens of the organisations the caller administers (the database decides), newest first. */
export async function listApiTokens(userClient: TypedSupabaseClient): Promise<ApiTokenRow[]> {
  const { data, error } = await userClient.rpc('list_api_tokens');
  if (error) throw new Error(`Listing API tokens failed: ${error.message}`);
  return data as unknown as ApiTokenRow[];
}
