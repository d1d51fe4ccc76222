import { AuthApiError, AuthSessionMissingError, createClient, type SupabaseClient } from '@supabase/supabase-js';
import { SignJWT } from 'jose';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../devstack/auth/handler';
import { anonClient, serviceClient } from './clients';
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
      headers: { apikey: stack.anonKey, 'content-type': 'application/json' },
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
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({ sub: userId, role: 'authenticated', aud: 'authenticated', email })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuedAt(now - 7200)
      .setExpirationTime(now - 3600)
      .sign(new TextEncoder().encode(stack.jwtSecret));
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

    const noBearer = await fetch(`${stack.apiUrl}/auth/v1/user`, {
      headers: { apikey: stack.anonKey, 'X-Supabase-Api-Version': '2024-01-01' },
    });
    expect(noBearer.status).toBe(401);
    expect(noBearer.headers.get('x-supabase-api-version')).toBe('2024-01-01');
    expect(await noBearer.json()).toEqual({
      code: 'no_authorization',
      message: 'This endpoint requires a Bearer token',
    });
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

  it('signs up with a session (autoconfirm) and refuses duplicates and weak passwords', async () => {
    const fresh = `signup-${Date.now()}@example.test`;
    const { data, error } = await userClient().auth.signUp({
      email: fresh,
      password,
      options: { data: { plan: 'pro' } },
    });
    expect(error).toBeNull();
    expect(data.session?.access_token).toBeTruthy();
    expect(data.user).toMatchObject({ email: fresh, user_metadata: { plan: 'pro' } });

    const dup = await userClient().auth.signUp({ email: fresh, password });
    expect(dup.error).toMatchObject({ status: 422, code: 'user_already_exists' });

    const weak = await userClient().auth.signUp({ email: `weak-${Date.now()}@example.test`, password: '123' });
    expect(weak.error).toMatchObject({ status: 422, code: 'weak_password', name: 'AuthWeakPasswordError' });
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

    // The anon key is a valid JWT but not an admin one.
    const asAnon = createClient(stack.apiUrl, stack.anonKey, {
      auth: { persistSession: false, autoRefreshToken: false },
    });
    const denied = await asAnon.auth.admin.createUser({ email: `x-${Date.now()}@example.test`, password });
    expect(denied.error).toMatchObject({ status: 403, code: 'not_admin' });
  });
});
