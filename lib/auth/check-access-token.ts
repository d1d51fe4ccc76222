import { isAuthRetryableFetchError, type SupabaseClient } from '@supabase/supabase-js';
import type { JSONWebKeySet } from 'jose';
import { z } from 'zod';
import { publicEnv } from '@/lib/env/public';
import { JwksCache } from './jwks-cache';
import { verifyAccessToken, type AccessTokenCheck } from './verify-access-token';

const jwksSchema = z.object({ keys: z.array(z.looseObject({ kty: z.string(), kid: z.string().optional() })) });

/** Auth answers from memory; longer than this is an outage, and a request should not wait on it. */
const JWKS_FETCH_TIMEOUT_MS = 5_000;

/**
 * The project's published signing keys, one cache per server process: kept on globalThis, because
 * Next.js bundles the proxy and the routes separately, and a revocation one learns of must reach all.
 * - At most one fetch per 10 s: a stream of tokens with made-up kids costs Auth 6 requests a minute per
 *   process, and a key the app has not seen yet (created and rotated to since the last fetch, or a fetch
 *   that failed) is picked up within 10 s.
 * - 10 minutes at most between fetches: the endpoint's own `Cache-Control: max-age=600`, auth-js's
 *   JWKS_TTL. Sooner when a Supabase service refused a token these keys accepted (a revoked key).
 */
const cacheSlot = globalThis as typeof globalThis & { batonProjectJwks?: JwksCache };
const projectJwks = (cacheSlot.batonProjectJwks ??= new JwksCache({
  minRefreshIntervalMs: 10_000,
  maxAgeMs: 600_000,
  fetchKeySet: async () => {
    const response = await fetch(`${publicEnv.NEXT_PUBLIC_SUPABASE_URL}/auth/v1/.well-known/jwks.json`, {
      // Hosted serves the JWKS without a key (jose and @supabase/server fetch it keyless); auth-js sends
      // one, and it does no harm.
      headers: { apikey: publicEnv.NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY },
      signal: AbortSignal.timeout(JWKS_FETCH_TIMEOUT_MS),
      cache: 'no-store',
    });
    if (!response.ok) throw new Error(`GET jwks.json answered ${response.status}`);
    return jwksSchema.parse(await response.json()) as JSONWebKeySet;
  },
}));

/**
 * Verifies a user's access token against the project's keys; `supabase` asks Auth about tokens signed
 * with the legacy secret (HS256), which only Auth can check.
 */
export function checkAccessToken(supabase: Pick<SupabaseClient, 'auth'>, token: string): Promise<AccessTokenCheck> {
  return verifyAccessToken(token, {
    jwks: projectJwks,
    askAuth: async (jwt) => {
      const { error } = await supabase.auth.getUser(jwt);
      if (!error) return 'valid';
      return isAuthRetryableFetchError(error) || (error.status ?? 500) >= 500 ? 'unavailable' : 'invalid';
    },
  });
}

/**
 * A Supabase service refused a token this process had verified: its signing key `kid` was revoked after
 * the last JWKS fetch. From now on the app refuses that key's tokens itself (jwks-cache.ts).
 */
export function reportRefusedAccessToken(kid: string): void {
  projectJwks.reportRefusedToken(kid);
}
