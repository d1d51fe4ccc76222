import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { testStack } from './stack-info';

/** supabase-js clients for Node tests (Node 24: the global WebSocket serves Realtime). */
export function anonClient(): SupabaseClient {
  const stack = testStack();
  return createClient(stack.apiUrl, stack.anonKey, {
    auth: { persistSession: false, autoRefreshToken: false },
    db: { retry: false } as never,
  });
}

export function serviceClient(): SupabaseClient {
  const stack = testStack();
  return createClient(stack.apiUrl, stack.serviceRoleKey, {
    auth: { persistSession: false, autoRefreshToken: false },
  });
}

/**
 * A client that is the holder of `jwt` for Realtime too: `accessToken` (not a global Authorization
 * header, which Realtime ignores, nor `realtime.setAuth(jwt)`, which supabase-js overwrites with the
 * anon key on the next heartbeat; protocols.md §1.9).
 *
 * The token is resolved before returning: supabase-js resolves the callback asynchronously, and a
 * channel subscribed before that joins with the anon apikey and is never sent the user's token (no
 * `access_token` push goes to a channel that is still joining), so RLS would see `anon` for good.
 * Hosted Supabase behaves the same.
 */
export async function userRealtimeClient(jwt: string): Promise<SupabaseClient> {
  const stack = testStack();
  const client = createClient(stack.apiUrl, stack.anonKey, {
    accessToken: async () => jwt,
    db: { retry: false } as never,
  });
  await client.realtime.setAuth();
  return client;
}

/** A client acting as a signed-in user: the user's access token rides on every request, like a session's. */
export function userClient(accessToken: string): SupabaseClient {
  const stack = testStack();
  return createClient(stack.apiUrl, stack.anonKey, {
    auth: { persistSession: false, autoRefreshToken: false },
    global: { headers: { Authorization: `Bearer ${accessToken}` } },
    db: { retry: false } as never,
  });
}

/**
 * An access token shaped like Supabase Auth's, signed with the stack's JWT secret, so tests need not
 * depend on the Auth endpoints. A negative `expiresInSeconds` mints an already-expired token.
 */
export async function mintUserJwt(
  userId: string,
  options: { email?: string; expiresInSeconds?: number } = {},
): Promise<string> {
  const { SignJWT } = await import('jose');
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    sub: userId,
    role: 'authenticated',
    aud: 'authenticated',
    email: options.email ?? `${userId.slice(0, 8)}@example.test`,
    session_id: crypto.randomUUID(),
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(now - 5)
    .setExpirationTime(now + (options.expiresInSeconds ?? 3600))
    .sign(new TextEncoder().encode(testStack().jwtSecret));
}
