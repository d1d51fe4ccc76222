import 'server-only';
import { cache } from 'react';
import { createClient } from '@/lib/supabase/server';

export type Membership = { organisation_id: string; role: string };

/**
 * The signed-in user's organisations and roles, read once per request (through RLS): the dashboard
 * layout decides from them what to offer (starting exports, system health), and the pages ask again.
 */
export const currentMemberships = cache(async (userId: string): Promise<Membership[]> => {
  const { data, error } = await (
    await createClient()
  )
    .from('memberships')
    .select('organisation_id, role')
    .eq('user_id', userId);
  if (error) throw new Error(`Reading your memberships failed: ${error.message}`);
  return data;
});
