import 'server-only';
import { createServerClient } from '@supabase/ssr';
import { cookies } from 'next/headers';
import { watchTokenRefusals } from '@/lib/auth/watch-token-refusals';
import { publicEnv } from '@/lib/env/public';
import type { Database } from '@/supabase/functions/_shared/database.types.ts';
import { exactJsonFetch } from '@/supabase/functions/_shared/exact-json.ts';

/**
 * Supabase client acting as the signed-in user of the current request (RLS applies). Create one per
 * request, never a global: it reads that request's cookies.
 */
export async function createClient() {
  const cookieStore = await cookies();
  return createServerClient<Database>(
    publicEnv.NEXT_PUBLIC_SUPABASE_URL,
    publicEnv.NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY,
    {
      // int64 keys beyond 2^53 arrive as exact digits, never rounded (exact-json.ts). A token Supabase
      // refuses (its key revoked since the app read the JWKS) is refused by the proxy from then on.
      global: { fetch: watchTokenRefusals(exactJsonFetch()) },
      cookies: {
        getAll: () => cookieStore.getAll(),
        setAll: (toSet) => {
          try {
            for (const { name, value, options } of toSet) cookieStore.set(name, value, options);
          } catch {
            // Called from a Server Component, where cookies are read-only; the proxy refreshes the session.
          }
        },
      },
    },
  );
}
