import { createServerClient, parseCookieHeader } from '@supabase/ssr';
import { createClient as createSupabaseClient } from '@supabase/supabase-js';
import { checkAccessToken } from '@/lib/auth/check-access-token';
import { readSession, type SessionCheck } from '@/lib/auth/read-session';
import { watchTokenRefusals } from '@/lib/auth/watch-token-refusals';
import { publicEnv } from '@/lib/env/public';
import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';
import type { Database } from '@/supabase/functions/_shared/database.types.ts';
import { exactJsonFetch } from '@/supabase/functions/_shared/exact-json.ts';
import { AppError } from './app-error';
import { recordTokenRefusal } from './token-refusals';

export type AuthedUser = {
  /** Acts as the user: RLS decides what it can read. */
  supabase: TypedSupabaseClient;
  userId: string;
  email: string | null;
};

/** A client for the request's session cookie, read from the Cookie header (App and Pages routes alike). */
function cookieClient(request: Request, fetch: typeof globalThis.fetch): TypedSupabaseClient {
  const cookies = parseCookieHeader(request.headers.get('cookie') ?? '').map(({ name, value }) => ({
    name,
    value: value ?? '',
  }));
  return createServerClient<Database>(
    publicEnv.NEXT_PUBLIC_SUPABASE_URL,
    publicEnv.NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY,
    {
      global: { fetch },
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
 * access token (scripts, tests). The token is verified against the project's signing keys (or by Auth,
 * for legacy HS256 tokens), never just decoded; a token that does not verify is a 401 saying why.
 */
export async function requireUser(request: Request): Promise<AuthedUser> {
  const bearer = /^Bearer\s+(.+)$/i.exec(request.headers.get('authorization') ?? '')?.[1];
  // int64 keys beyond 2^53 arrive as exact digits, never rounded (exact-json.ts); a token PostgREST
  // refuses after this check passed makes the route a 401 (route-handler.ts).
  const fetch = watchTokenRefusals(exactJsonFetch(), () => recordTokenRefusal(request));
  const supabase = bearer
    ? createSupabaseClient(publicEnv.NEXT_PUBLIC_SUPABASE_URL, publicEnv.NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY, {
        auth: { persistSession: false, autoRefreshToken: false },
        global: { headers: { Authorization: `Bearer ${bearer}` }, fetch },
      })
    : cookieClient(request, fetch);
  const session = bearer ? await checkAccessToken(supabase, bearer) : await readSession(supabase);
  if (session.status !== 'valid') throw sessionError(session);
  return { supabase, userId: session.userId, email: session.email };
}

function sessionError(session: Exclude<SessionCheck, { status: 'valid' }>): AppError {
  switch (session.status) {
    case 'signed-out':
      return new AppError('unauthenticated', 'Sign in to use the exports API.');
    case 'invalid':
      return new AppError('unauthenticated', session.message);
    case 'unavailable':
      return new AppError('upstream_unavailable', session.message);
  }
}
