import { createServerClient } from '@supabase/ssr';
import { NextResponse, type NextRequest } from 'next/server';
import { readSession } from '@/lib/auth/read-session';
import { publicEnv } from '@/lib/env/public';
import type { Database } from '@/supabase/functions/_shared/database.types.ts';

// '/s': share links' pages, for people without an account (the token is their authorisation).
const PUBLIC_PATHS = ['/sign-in', '/s'];

/**
 * Refreshes the Supabase session cookie on every request (access tokens last an hour) and sends
 * signed-out visitors of dashboard pages to the sign-in page. A session whose token does not verify
 * (forged, revoked key, expired beyond refresh) is cleared on the way, so the sign-in page renders and
 * the next sign-in starts clean. API routes answer 401 themselves.
 */
export async function updateSession(request: NextRequest) {
  let response = NextResponse.next({ request });
  const supabase = createServerClient<Database>(
    publicEnv.NEXT_PUBLIC_SUPABASE_URL,
    publicEnv.NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY,
    {
      cookies: {
        getAll: () => request.cookies.getAll(),
        setAll: (toSet) => {
          for (const { name, value } of toSet) request.cookies.set(name, value);
          response = NextResponse.next({ request });
          for (const { name, value, options } of toSet) response.cookies.set(name, value, options);
        },
      },
    },
  );

  const session = await readSession(supabase);
  const path = request.nextUrl.pathname;
  if (path.startsWith('/api/')) return response; // the route answers 401 with the reason
  // 'local': this browser's session only. Auth refuses the logout call for a bad token; auth-js then
  // clears the cookies all the same (setAll above).
  if (session.status === 'invalid') await supabase.auth.signOut({ scope: 'local' });
  const isPublic = PUBLIC_PATHS.some((p) => path === p || path.startsWith(`${p}/`));
  if (session.status !== 'valid' && !isPublic) {
    const url = request.nextUrl.clone();
    url.pathname = '/sign-in';
    url.searchParams.set('next', path);
    const redirect = NextResponse.redirect(url);
    for (const cookie of response.cookies.getAll()) redirect.cookies.set(cookie);
    return redirect;
  }
  return response;
}
