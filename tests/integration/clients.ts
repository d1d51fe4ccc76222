import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { storedObjectSize, type StoredObjectSize } from '../../lib/storage/stored-object-size';
import { JwtService } from '../../devstack/jwt';
import { loadOrCreateKeys } from '../../devstack/keys';
import { testStack } from './stack-info';

/** supabase-js clients for Node tests (Node 24: the global WebSocket serves Realtime). */
export function anonClient(): SupabaseClient {
  const stack = testStack();
  return createClient(stack.apiUrl, stack.publishableKey, {
    auth: { persistSession: false, autoRefreshToken: false },
    db: { retry: false } as never,
  });
}

/** What storage's backend holds, asked with the secret key (as routes ask it: lib/api/server-deps.ts). */
export function storedSizes(): StoredObjectSize {
  const stack = testStack();
  return storedObjectSize({ url: stack.apiUrl, secretKey: stack.secretKey });
}

export function serviceClient(): SupabaseClient {
  const stack = testStack();
  return createClient(stack.apiUrl, stack.secretKey, {
    auth: { persistSession: false, autoRefreshToken: false },
  });
}

/**
 * A client that is the holder of `jwt` for Realtime too: `accessToken` (not a global Authorization
 * header, which Realtime ignores, nor `realtime.setAuth(jwt)`, which supabase-js overwrites with the
 * anon key on the next heartbeat; docs/protocols.md §1.9).
 *
 * The token is resolved before returning: supabase-js resolves the callback asynchronously, and a
 * channel subscribed before that joins with the anon apikey and is never sent the user's token (no
 * `access_token` push goes to a channel that is still joining), so RLS would see `anon` for good.
 * Hosted Supabase behaves the same.
 */
export async function userRealtimeClient(jwt: string): Promise<SupabaseClient> {
  const stack = testStack();
  const client = createClient(stack.apiUrl, stack.publishableKey, {
    accessToken: async () => jwt,
    db: { retry: false } as never,
  });
  await client.realtime.setAuth();
  return client;
}

/** A client acting as a signed-in user: the user's access token rides on every request, like a session's. */
export function userClient(accessToken: string): SupabaseClient {
  const stack = testStack();
  return createClient(stack.apiUrl, stack.publishableKey, {
    auth: { persistSession: false, autoRefreshToken: false },
    global: { headers: { Authorization: `Bearer ${accessToken}` } },
    db: { retry: false } as never,
  });
}

/** The project's JWT service as the devstack has it now (keys re-read, so a rotation is seen). */
async function projectJwt(): Promise<JwtService> {
  const stack = testStack();
  return new JwtService(await loadOrCreateKeys(stack.dataDir), stack.apiKeyMode);
}

/**
 * An access token shaped like Supabase Auth's and signed the way Auth signs them (the current ES256 key
 * with its `kid`, or the legacy secret on a legacy project), so tests need not depend on the Auth
 * endpoints. A negative `expiresInSeconds` mints an already-expired token.
 */
export async function mintUserJwt(
  userId: string,
  options: { email?: string; expiresInSeconds?: number } = {},
): Promise<string> {
  const jwt = await projectJwt();
  return jwt.sign(
    {
      iss: `${testStack().apiUrl}/auth/v1`,
      sub: userId,
      role: 'authenticated',
      aud: 'authenticated',
      email: options.email ?? `${userId.slice(0, 8)}@example.test`,
      phone: '',
      session_id: crypto.randomUUID(),
      is_anonymous: false,
    },
    options.expiresInSeconds ?? 3600,
  );
}
