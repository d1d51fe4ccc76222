import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';

/**
 * Whether to offer the system health page: the user is support or admin in some organisation. Read
 * through RLS (members see their organisations' memberships); the page and its API check again in the
 * database.
 */
export async function canSeeSystemHealth(client: TypedSupabaseClient, userId: string): Promise<boolean> {
  const { data, error } = await client
    .from('memberships')
    .select('role')
    .eq('user_id', userId)
    .in('role', ['support', 'admin'])
    .limit(1);
  if (error) throw new Error(`Reading your roles failed: ${error.message}`);
  return data.length > 0;
}
