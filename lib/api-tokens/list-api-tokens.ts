import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';
import { API_TOKEN_COLUMNS, type ApiTokenRow } from './types';

/** The tokens of the organisations the caller administers (RLS decides), newest first. */
export async function listApiTokens(userClient: TypedSupabaseClient): Promise<ApiTokenRow[]> {
  const { data, error } = await userClient
    .from('api_tokens')
    .select(API_TOKEN_COLUMNS)
    .order('created_at', { ascending: false })
    .overrideTypes<ApiTokenRow[], { merge: false }>();
  if (error) throw new Error(`Listing API tokens failed: ${error.message}`);
  return data;
}
