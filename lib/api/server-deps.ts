import { publicEnv } from '@/lib/env/public';
import { serverEnv } from '@/lib/env/server';
import { storedObjectSize } from '@/lib/storage/stored-object-size';
import { createAdminClient } from '@/lib/supabase/admin';
import { createTypesenseAccess } from '@/lib/typesense/client';
import { requireUser } from './require-user';

/**
 * What a route needs to act for the caller: their RLS-bound client, the service role, Typesense (schemas,
 * and searches scoped to a source), and
 * what storage's backend holds (for verifying shards).
 */
export async function routeDeps(request: Request) {
  const user = await requireUser(request);
  return {
    user,
    admin: createAdminClient({ actingFor: user.userId }),
    typesense: createTypesenseAccess(),
    storedSize: storedObjectSize({
      url: publicEnv.NEXT_PUBLIC_SUPABASE_URL,
      secretKey: serverEnv().SUPABASE_SECRET_KEY,
    }),
  };
}
