import { createAdminClient } from '@/lib/supabase/admin';
import { createTypesenseClient } from '@/lib/typesense/client';
import { requireUser } from './require-user';

/** What a route needs to act for the caller: their RLS-bound client, the service role, and Typesense. */
export async function routeDeps(request: Request) {
  const user = await requireUser(request);
  return { user, admin: createAdminClient({ actingFor: user.userId }), typesense: createTypesenseClient() };
}
