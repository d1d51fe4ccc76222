import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';
import type { OrganisationMember } from './types';

/**
 * The caller's colleagues with their email (public.organisation_members(), through the caller's own
 * client: it shows only members of organisations the caller belongs to).
 */
export async function listOrganisationMembers(client: TypedSupabaseClient): Promise<OrganisationMember[]> {
  const { data, error } = await client.rpc('organisation_members');
  if (error) throw new Error(`Reading organisation members failed: ${error.message}`);
  return data;
}
