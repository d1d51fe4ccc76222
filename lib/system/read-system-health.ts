import { rpcError } from '@/lib/api/rpc-error';
import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';
import { systemHealthSchema, type SystemHealth } from './system-health';

/**
 * The system health of the organisations the caller is support or admin in, read as the caller: the
 * database checks the role and scopes every figure (`system_health()`); anyone else gets its 403 sentence.
 */
export async function readSystemHealth(client: TypedSupabaseClient): Promise<SystemHealth> {
  const { data, error } = await client.rpc('system_health');
  if (error) throw rpcError(error, 'Reading system health');
  return systemHealthSchema.parse(data);
}
