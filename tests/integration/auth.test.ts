import { AuthApiError, AuthSessionMissingError, createClient, type SupabaseClient } from '@supabase/supabase-js';
import { SignJWT, decodeProtectedHeader } from 'jose';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../devstack/auth/handler';
import { loadOrCreateKeys } from '../../devstack/keys';
import { anonClient, mintUserJwt, serviceClient } from './clients';
import { testStack } from './stack-info';

/** A fresh client per test: each holds its own in-memory session, like one browser tab. */
function userClient(): SupabaseClient {
  return anonClient();
}

const password = 'correct horse battery';

describe('auth (GoTrue subset) through supabase-js', () => {
  const stack = testStack();
  const db = new pg.Pool({ connectionString: stack.pgConnectionString, max: 2 });
  const email = `auth-${Date.now()}@example.test`;
  let userId = '';

  beforeAll(async () => {
    const user = await createUser(db, { email, password, userMetadata: { name: 'Ada' } });
    userId = user.id;
  });
  afterAll(() => db.end());

  it('signs in with a password and returns a GoTrue session and Supabase-shaped access token', async () => {
    const client = userClient();
    const { data, error } = await client.auth.signInWithPassword({ email, password });
    expect(error).toBeNull();
    const session = data.session!;
    expect(session.token_type).toBe('bearer');
    expect(session.expires_in).toBe(3600);
    expect(session.expires_at! - Math.floor(Date.now() / 1000)).toBeGreaterThan(3590);
    expect(session.refresh_token.length).toBeGreaterThan(10);
    expect(data.user).toMatchObject({
      id: userId,
      aud: 'authenticated',
      role: 'authenticated',
      email,
      app_metadata: { provider: 'email', providers: ['email'] },
      user_metadata: { name: 'Ada' },
      is_anonymous: false,
    });
    expect(typeof data.user!.email_confirmed_at).toBe('string');
    expect(typeof data.user!.created_at).toBe('string');

    const claims = JSON.parse(Buffer.from(session.access_token.split('.')[1]!, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    expect(claims).toMatchObject({
      sub: userId,
      role: 'authenticated',
      aud: 'authenticated',
      email,
      aal: 'aal1',
      is_anonymous: false,
      iss: `${stack.apiUrl}/auth/v1`,
      app_metadata: { provider: 'email', providers: ['email'] },
      user_metadata: { name: 'Ada' },
    });
    expect(claims.exp).toBe((claims.iat as number) + 3600);
    expect(typeof claims.session_id).toBe('string');
    expect(claims.amr).toEqual([{ method: 'password', timestamp: expect.any(Number) }]);
    expect(claims).toHaveProperty('phone', '');
    // docs/protocols-2026.md §2.3: `aud` is a string; no jti or nbf.
    expect(Object.keys(claims)).not.toContain('jti');
    const header = decodeProtectedHeader(session.access_token);
    if (stack.apiKeyMode === 'new') {
      // Signed by the current asymmetric key, which the JWKS publishes.
      expect(header).toEqual({ alg: 'ES256', kid: expect.any(String), typ: 'JWT' });
      const jwks = (await (await fetch(`${stack.apiUrl}/auth/v1/.well-known/jwks.json`)).json()) as JwksBody;
      expect(jwks.keys.map((k) => k.kid)).toContain(header.kid);
    } else {
      expect(header).toEqual({ alg: 'HS256', typ: 'JWT' });
    }

    // The token works for row-level access as well: the REST stand-in and storage verify the same secret.
    const { data: userData, error: userError } = await client.auth.getUser();
    expect(userError).toBeNull();
    expect(userData.user!.id).toBe(userId);
  });

  it('rejects a wrong password and an unknown email with the same AuthApiError', async () => {
    for (const [e, p] of [
      [email, 'wrong password'],
      ['nobody@example.test', password],
    ] as const) {
      const { data, error } = await userClient().auth.signInWithPassword({ email: e, password: p });
      expect(data.session).toBeNull();
      expect(error).toBeInstanceOf(AuthApiError);
      expect(error).toMatchObject({ message: 'Invalid login credentials', status: 400, code: 'invalid_credentials' });
    }
  });

  it('answers the legacy error shape to callers without the API version header', async () => {
    const res = await fetch(`${stack.apiUrl}/auth/v1/token?grant_type=password`, {
      method: 'POST',
      headers: { apikey: stack.publishableKey, 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'nope-nope' }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      code: 400,
      error_code: 'invalid_credentials',
      msg: 'Invalid login credentials',
    });
  });

  it('rotates refresh tokens and refuses a reused one, revoking the session', async () => {
    const client = userClient();
    const first = (await client.auth.signInWithPassword({ email, password })).data.session!;

    const refreshed = await client.auth.refreshSession();
    expect(refreshed.error).toBeNull();
    const second = refreshed.data.session!;
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(refreshed.data.user!.id).toBe(userId);

    // The direct parent of the active token is still accepted (a client that lost the answer) and gets
    // the active token back, as GoTrue does.
    const retry = await userClient().auth.refreshSession({ refresh_token: first.refresh_token });
    expect(retry.error).toBeNull();
    expect(retry.data.session!.refresh_token).toBe(second.refresh_token);

    const third = (await client.auth.refreshSession()).data.session!;
    expect(third.refresh_token).not.toBe(second.refresh_token);

    // `first` is now two generations old: reuse → 400 and the whole session is revoked.
    const reused = await userClient().auth.refreshSession({ refresh_token: first.refresh_token });
    expect(reused.data.session).toBeNull();
    expect(reused.error).toBeInstanceOf(AuthApiError);
    expect(reused.error).toMatchObject({
      status: 400,
      code: 'refresh_token_already_used',
      message: 'Invalid Refresh Token: Already Used',
    });
    const afterReuse = await userClient().auth.refreshSession({ refresh_token: third.refresh_token });
    expect(afterReuse.error).toMatchObject({ status: 400, code: 'refresh_token_already_used' });

    const unknown = await userClient().auth.refreshSession({ refresh_token: 'not-a-token' });
    expect(unknown.error).toMatchObject({
      status: 400,
      code: 'refresh_token_not_found',
      message: 'Invalid Refresh Token: Refresh Token Not Found',
    });
  });

  it('refuses an expired access token on GET /user with 403 bad_jwt', async () => {
    const expired = await mintUserJwt(userId, { email, expiresInSeconds: -3600 });
    const { data, error } = await userClient().auth.getUser(expired);
    expect(data.user).toBeNull();
    expect(error).toBeInstanceOf(AuthApiError);
    expect(error).toMatchObject({ status: 403, code: 'bad_jwt' });
    expect(error!.message).toMatch(/token is expired/);
  });

  it('refuses malformed and wrongly signed JWTs', async () => {
    const malformed = await userClient().auth.getUser('not.a.jwt');
    expect(malformed.error).toMatchObject({ status: 403, code: 'bad_jwt' });

    const forged = await new SignJWT({ sub: userId, role: 'authenticated' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('some-other-secret-that-is-long-enough-123'));
    const wrong = await userClient().auth.getUser(forged);
    expect(wrong.error).toMatchObject({ status: 403, code: 'bad_jwt' });

    // The key alone stands for the anon role, which is no user (the gateway minted a JWT without `sub`).
    const keyOnly = await fetch(`${stack.apiUrl}/auth/v1/user`, {
      headers: { apikey: stack.publishableKey, 'X-Supabase-Api-Version': '2024-01-01' },
    });
    expect(keyOnly.status).toBe(403);
    expect(keyOnly.headers.get('x-supabase-api-version')).toBe('2024-01-01');
    expect(await keyOnly.json()).toEqual({ code: 'bad_jwt', message: 'invalid claim: missing sub claim' });
  });

  it('signs out: the session is gone, its access token no longer identifies a user and refresh fails', async () => {
    const client = userClient();
    const session = (await client.auth.signInWithPassword({ email, password })).data.session!;
    const other = userClient();
    const otherSession = (await other.auth.signInWithPassword({ email, password })).data.session!;

    const { error } = await client.auth.signOut({ scope: 'local' });
    expect(error).toBeNull();
    expect((await client.auth.getSession()).data.session).toBeNull();

    // GoTrue answers 403 session_not_found, which auth-js turns into AuthSessionMissingError.
    const stale = await userClient().auth.getUser(session.access_token);
    expect(stale.error).toBeInstanceOf(AuthSessionMissingError);
    const refresh = await userClient().auth.refreshSession({ refresh_token: session.refresh_token });
    expect(refresh.error).toMatchObject({ status: 400, code: 'refresh_token_not_found' });

    // scope 'local' left the other session alone; a global sign-out ends it too.
    expect((await userClient().auth.getUser(otherSession.access_token)).error).toBeNull();
    const again = (await client.auth.signInWithPassword({ email, password })).data.session!;
    expect((await client.auth.signOut()).error).toBeNull();
    expect((await userClient().auth.getUser(otherSession.access_token)).error).toBeInstanceOf(AuthSessionMissingError);
    expect((await userClient().auth.getUser(again.access_token)).error).toBeInstanceOf(AuthSessionMissingError);
  });

  it('has no sign-up: Baton never calls it, so the devstack answers 404 as for any unknown route', async () => {
    const { error } = await userClient().auth.signUp({ email: `signup-${Date.now()}@example.test`, password });
    expect(error).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('creates users through the admin API with the service role only', async () => {
    const adminEmail = `admin-made-${Date.now()}@example.test`;
    const { data, error } = await serviceClient().auth.admin.createUser({
      email: adminEmail,
      password,
      email_confirm: true,
      user_metadata: { org: 'acme' },
    });
    expect(error).toBeNull();
    expect(data.user).toMatchObject({ email: adminEmail, user_metadata: { org: 'acme' } });
    expect((await userClient().auth.signInWithPassword({ email: adminEmail, password })).error).toBeNull();

    const unconfirmed = `unconfirmed-${Date.now()}@example.test`;
    await serviceClient().auth.admin.createUser({ email: unconfirmed, password });
    expect((await userClient().auth.signInWithPassword({ email: unconfirmed, password })).error).toMatchObject({
      status: 400,
      code: 'email_not_confirmed',
    });

    // The publishable key is the anon role, not an admin.
    const asAnon = createClient(stack.apiUrl, stack.publishableKey, {
      auth: { persistSession: false, autoRefreshToken: false },
    });
    const denied = await asAnon.auth.admin.createUser({ email: `x-${Date.now()}@example.test`, password });
    expect(denied.error).toMatchObject({ status: 403, code: 'not_admin' });
  });
});

type JwksBody = { keys: Array<Record<string, unknown> & { kid: string }> };

describe('API keys at the gateway (hosted 401 bodies)', () => {
  const stack = testStack();
  const rest = `${stack.apiUrl}/rest/v1/organisations?select=id`;

  it('refuses a request without a key, with an unknown key and with another key in Authorization', async () => {
    const none = await fetch(rest);
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({
      message: 'No API key found in request',
      hint: 'No `apikey` request header or url param was found.',
    });
    const forged = `sb_publishable_${'A'.repeat(22)}_AAAAAAAA`;
    for (const apikey of [forged, 'not-a-key']) {
      const bad = await fetch(rest, { headers: { apikey } });
      expect(bad.status).toBe(401);
      expect(await bad.json()).toEqual({ message: 'Invalid API key', hint: 'Double check your API key.' });
    }
    // A key in Authorization passes only when it is the apikey again (what supabase-js sends).
    const mixed = await fetch(rest, {
      headers: { apikey: stack.publishableKey, Authorization: `Bearer sb_secret_${'B'.repeat(22)}_BBBBBBBB` },
    });
    expect(mixed.status).toBe(401);
  });

  it('maps the publishable key to anon and the secret key to service_role, for REST and Storage alike', async () => {
    // anon reached Postgres (the refusal is Postgres's, not the gateway's): it has no grant on the table.
    const asAnon = await fetch(rest, { headers: { apikey: stack.publishableKey } });
    expect(asAnon.status).toBe(401);
    expect(await asAnon.json()).toMatchObject({ code: '42501' });
    const asService = await fetch(rest, { headers: { apikey: stack.secretKey } });
    expect(asService.status).toBe(200);
    expect(Array.isArray(await asService.json())).toBe(true);
    // Storage: the secret key writes and reads the private bucket; anon sees nothing of it, as storage RLS
    // without policies makes it.
    const key = `gateway-probe-${Date.now()}.txt`;
    const service = serviceClient().storage.from('exports');
    expect((await service.upload(key, 'probe', { contentType: 'text/plain' })).error).toBeNull();
    expect(await (await service.download(key)).data?.text()).toBe('probe');
    const asAnonObject = await anonClient().storage.from('exports').download(key);
    expect(asAnonObject.data).toBeNull();
    expect(asAnonObject.error).toMatchObject({ statusCode: '404' });
    expect((await service.remove([key])).error).toBeNull();
  });

  it('refuses the secret key from a browser (User-Agent) with UNAUTHORIZED_INVALID_API_KEY_TYPE', async () => {
    if (stack.apiKeyMode === 'legacy') return; // legacy service-role keys have no such check
    const res = await fetch(rest, {
      headers: { apikey: stack.secretKey, 'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0' },
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('sb-error-code')).toBe('UNAUTHORIZED_INVALID_API_KEY_TYPE');
    expect(await res.json()).toMatchObject({ message: 'Forbidden use of secret API key in browser' });
  });

  it('refuses the legacy JWT keys and HS256 tokens of a 2026 project (legacy keys disabled, secret revoked)', async () => {
    if (stack.apiKeyMode === 'legacy') return; // the legacy project is covered by legacy-keys.test.ts
    const keys = await loadOrCreateKeys(stack.dataDir);
    for (const apikey of [keys.anonKey, keys.serviceRoleKey]) {
      const res = await fetch(rest, { headers: { apikey } });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ message: 'Legacy API keys are disabled' });
    }
    const hs256 = await new SignJWT({ sub: crypto.randomUUID(), role: 'authenticated' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(keys.jwtSecret));
    const res = await fetch(rest, { headers: { apikey: stack.publishableKey, Authorization: `Bearer ${hs256}` } });
    expect(res.status).toBe(401);
  });
});

describe('JWT signing keys: JWKS, getClaims and rotation', () => {
  const stack = testStack();
  const db = new pg.Pool({ connectionString: stack.pgConnectionString, max: 2 });
  const email = `claims-${Date.now()}@example.test`;
  const admin = (path: string, method = 'POST') =>
    fetch(`${stack.apiUrl}/_devstack/signing-keys${path}`, { method }).then(async (res) => ({
      status: res.status,
      body: (await res.json()) as Record<string, unknown>,
    }));

  beforeAll(async () => {
    await createUser(db, { email, password });
  });
  afterAll(() => db.end());

  it('publishes the verifying keys keyless, at both paths, cacheable for 10 minutes', async () => {
    for (const path of ['/auth/v1/.well-known/jwks.json', '/auth/v1/jwks']) {
      const res = await fetch(`${stack.apiUrl}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('public, max-age=600');
      const body = (await res.json()) as JwksBody;
      if (stack.apiKeyMode === 'legacy') {
        expect(body).toEqual({ keys: [] }); // symmetric keys are never published
        continue;
      }
      expect(body.keys.length).toBeGreaterThan(0);
      for (const key of body.keys) {
        expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', key_ops: ['verify'] });
        expect(key).not.toHaveProperty('d');
      }
    }
  });

  it('lets supabase-js getClaims() verify a session locally against the JWKS', async () => {
    if (stack.apiKeyMode === 'legacy') return; // HS256: getClaims falls back to GET /user (legacy-keys.test.ts)
    const client = anonClient();
    const { data: signedIn } = await client.auth.signInWithPassword({ email, password });
    const { data, error } = await client.auth.getClaims();
    expect(error).toBeNull();
    expect(data?.claims).toMatchObject({ sub: signedIn.user!.id, role: 'authenticated', email });
    expect(data?.header).toMatchObject({ alg: 'ES256', kid: expect.any(String) });

    // Local verification, not a round trip to GET /user: a well-signed token for a user Auth does not
    // know verifies, and a token with a bad signature is refused without asking Auth.
    const stranger = await mintUserJwt(crypto.randomUUID());
    expect((await anonClient().auth.getClaims(stranger)).error).toBeNull();
    expect((await anonClient().auth.getUser(stranger)).error).toMatchObject({ status: 403 });
    const tampered = `${stranger.slice(0, stranger.lastIndexOf('.'))}.${'A'.repeat(86)}`;
    expect((await anonClient().auth.getClaims(tampered)).error?.message).toBe('Invalid JWT signature');
  });

  it('rotates: a standby key is published first, then signs; old tokens verify until their key is revoked', async () => {
    if (stack.apiKeyMode === 'legacy') return;
    const signIn = async () => {
      const client = anonClient();
      const { data, error } = await client.auth.signInWithPassword({ email, password });
      expect(error).toBeNull();
      return data.session!.access_token;
    };
    const kidOf = (token: string) => decodeProtectedHeader(token).kid;
    const published = async () =>
      ((await (await fetch(`${stack.apiUrl}/auth/v1/.well-known/jwks.json`)).json()) as JwksBody).keys.map(
        (k) => k.kid,
      );

    // Two rotations, so that the key revoked at the end is one this test created (the suite's other
    // tokens, signed by the original key, stay valid).
    const standby = await admin('');
    expect(standby).toMatchObject({ status: 201, body: { status: 'standby' } });
    expect(await published()).toContain(standby.body.kid);
    const before = await signIn();
    expect(kidOf(before)).not.toBe(standby.body.kid); // published, not signing yet
    expect((await admin('/rotate')).body).toEqual({ kid: standby.body.kid, status: 'in_use' });
    const middle = await signIn();
    expect(kidOf(middle)).toBe(standby.body.kid);

    const third = await admin('');
    await admin('/rotate');
    const after = await signIn();
    expect(kidOf(after)).toBe(third.body.kid);
    // Tokens of both earlier keys still verify, at Auth and at getClaims.
    for (const token of [before, middle, after]) {
      expect((await anonClient().auth.getUser(token)).error).toBeNull();
      expect((await anonClient().auth.getClaims(token)).error).toBeNull();
    }
    expect((await admin(`/${String(third.body.kid)}/revoke`)).status).toBe(409); // in use
    expect((await admin(`/${String(standby.body.kid)}/revoke`)).body).toMatchObject({ status: 'revoked' });
    expect(await published()).not.toContain(standby.body.kid);
    expect((await anonClient().auth.getUser(middle)).error).toMatchObject({ status: 403, code: 'bad_jwt' });
    const rest = await fetch(`${stack.apiUrl}/rest/v1/organisations`, {
      headers: { apikey: stack.publishableKey, Authorization: `Bearer ${middle}` },
    });
    expect(rest.status).toBe(401);
    for (const token of [before, after]) expect((await anonClient().auth.getUser(token)).error).toBeNull();
  });
});
