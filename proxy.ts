import type { NextRequest } from 'next/server';
import { publicEnv } from '@/lib/env/public';
import { createNonce, securityHeaders } from '@/lib/http/security-headers';
import { updateSession } from '@/lib/supabase/proxy';

/**
 * Every request but static assets: refresh the Supabase session, and give the response its security
 * headers. For pages the Content-Security-Policy carries a fresh nonce, also set on the request: Next.js
 * reads `'nonce-…'` from the request's policy while rendering and puts it on its own scripts, and the root
 * layout reads `x-nonce` for the styles Radix inserts.
 */
export async function proxy(request: NextRequest) {
  const nonce = createNonce();
  const headers = securityHeaders({
    kind: request.nextUrl.pathname.startsWith('/api/') ? 'api' : 'page',
    nonce,
    supabaseUrl: publicEnv.NEXT_PUBLIC_SUPABASE_URL,
    // Next.js's own build mode (set by `next dev` / `next build`), not configuration: hence not in lib/env.
    environment: process.env.NODE_ENV,
  });
  request.headers.set('x-nonce', nonce);
  request.headers.set('Content-Security-Policy', headers['Content-Security-Policy']);

  const response = await updateSession(request);
  for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
  return response;
}

export const config = {
  // API routes included (the download too, a Pages API route): they get the API policy and headers.
  matcher: ['/((?!_next/static|_next/image|favicon.ico|.*\\.(?:svg|png|jpg|jpeg|gif|webp)$).*)'],
};
