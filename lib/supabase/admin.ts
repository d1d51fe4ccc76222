import { createClient as createSupabaseClient } from '@supabase/supabase-js';
import { publicEnv } from '@/lib/env/public';
import { serverEnv } from '@/lib/env/server';
import type { Database } from '@/supabase/functions/_shared/database.types.ts';
import { exactJsonFetch } from '@/supabase/functions/_shared/exact-json.ts';

/**
 * Secret-key client (the gateway runs it as `service_role`): bypasses RLS. Only for work the caller has already been authorised for
 * (e.g. reading shard objects from the private bucket for a download). `actingFor`: the signed-in user
 * the work is done for.
 */
export function createAdminClient(options: { actingFor?: string } = {}) {
  // Not `import 'server-only'`: the download is a Pages API route (see pages/api/exports/[id]/download.ts),
  // where that package throws at import. This runtime guard keeps secrets out of browser code instead.
  if (typeof window !== 'undefined') throw new Error('Server-only code ran in the browser');
  return createSupabaseClient<Database>(publicEnv.NEXT_PUBLIC_SUPABASE_URL, serverEnv().SUPABASE_SECRET_KEY, {
    auth: { persistSession: false, autoRefreshToken: false },
    global: {
      // int64 keys beyond 2^53 arrive as exact digits, never rounded (exact-json.ts).
      fetch: exactJsonFetch(),
      // Who a route acts for: PostgREST hands request headers to SQL, where the history triggers record
      // this user as the one who cancelled, re-ran or renamed (private.request_actor, supabase/schema.sql).
      ...(options.actingFor ? { headers: { [ACTOR_HEADER]: options.actingFor } } : {}),
    },
  });
}

const ACTOR_HEADER = 'x-baton-actor';
