import { rpcError } from '@/lib/api/rpc-error';
import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';

/** Revokes a token at once (the API checks every request against the database: no cache to wait out). */
export async function revokeApiToken(userClient: TypedSupabaseClient, tokenId: string): Promise<void> {
  const { error } = await userClient.rpc('revoke_api_token', { p_token_id: tokenId });
  if (error) throw rpcError(error, 'Revoking the API token');
}
