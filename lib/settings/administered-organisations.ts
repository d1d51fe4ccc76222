import 'server-only';
import { cache } from 'react';
import { currentMemberships } from '@/lib/auth/current-memberships';
import { createClient } from '@/lib/supabase/server';
import type { AdministeredOrganisation } from './choose-organisation';

/**
 * The organisations whose settings this user manages (role admin), by name, read once per request: the
 * settings layout offers them and its page shows one. Names through RLS, like the memberships.
 */
export const administeredOrganisations = cache(async (userId: string): Promise<AdministeredOrganisation[]> => {
  const ids = (await currentMemberships(userId)).filter((m) => m.role === 'admin').map((m) => m.organisation_id);
  if (ids.length === 0) return [];
  const { data, error } = await (await createClient()).from('organisations').select('id, name').in('id', ids);
  if (error) throw new Error(`Reading the organisations you administer failed: ${error.message}`);
  return data.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
});
