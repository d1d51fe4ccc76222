import { createServerClient, parseCookieHeader } from '@supabase/ssr';
import { createClient as createSupabaseClient } from '@supabase/supabase-js';
import { publicEnv } from '@/lib/env/public';
import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';
import type { Database } from '@/supabase/functions/_shared/database.types.ts';
import { exactJsonFetch } from '@/supabase/functions/_shared/exact-json.ts';
import { AppError } from './app-error';

export type AuthedUser = {
  /** Acts as the user: RLS decides what it can read. */
  supabase: TypedSupabaseClient;
  userId: string;
  email: string | null;
};

/** A client for the request's session cookie, read from the Cookie header (App and Pages routes alike). */
function cookieClient(request: Request): TypedSupabaseClient {
  const cookies = parseCookieHeader(request.headers.get('cookie') ?? '').map(({ name, value }) => ({
    name,
    value: value ?? '',
  }));
  return createServerClient<Database>(
    publicEnv.NEXT_PUBLIC_SUPABASE_URL,
    publicEnv.NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY,
    {
      // int64 keys beyond 2^53 arrive as exact digits, never rounded (exact-json.ts).
      global: { fetch: exactJsonFetch() },
      cookies: {
        getAll: () => cookies,
        // API routes only read the session; the proxy (proxy.ts) refreshes it on page loads.
        setAll: () => {},
      },
    },
  );
}

/**
 * The signed-in caller of an API route: the dashboard's cookie session, or an `Authorization: Bearer`
 * access token (scripts, tests). The token is verified by Supabase Auth, never just decoded.
 */
export async function requireUser(request: Request): Promise<AuthedUser> {
  const bearer = /^Bearer\s+(.+)$/i.exec(request.headers.get('authorization') ?? '')?.[1];
  const supabase = bearer
    ? createSupabaseClient(publicEnv.NEXT_PUBLIC_SUPABASE_URL, publicEnv.NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY, {
        auth: { persistSession: false, autoRefreshToken: false },
        global: { headers: { Authorization: `Bearer ${bearer}` }, fetch: exactJsonFetch() },
      })
    : cookieClient(request);
  const { data, error } = await supabase.auth.getClaims(bearer);
  const sub = data?.claims?.sub;
  if (error || typeof sub !== 'string' || data?.claims?.role !== 'authenticated') {
    throw new AppError('unauthenticated', 'Sign in to use the exports API.');
  }
  const email = typeof data.claims.email === 'string' ? data.claims.email : null;
  return { supabase, userId: sub, email };
}
