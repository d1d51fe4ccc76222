import { SignJWT, decodeProtectedHeader, generateKeyPair } from 'jose';
import { NextRequest, type NextResponse } from 'next/server';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createUser } from '../../devstack/auth/handler';
import { anonClient, mintUserJwt } from './clients';
import { testStack } from './stack-info';

// Route modules guard against browser bundles with `server-only`, which throws outside Next.js's server.
vi.mock('server-only', () => ({}));

/**
 * Tokens a caller may forge or keep after they stopped being valid, each against the app's own
 * verification: an API route (Bearer and session cookie) answers 401 saying why, and a page clears the
 * session and sends the person to /sign-in, which itself renders. Never a 500.
 */
const stack = testStack();
const db = new pg.Pool({ connectionString: stack.pgConnectionString, max: 2 });
const email = `hostile-${Date.now()}@example.test`;
const password = 'hostile tokens';
let userId = '';
let standbyKids: string[] = [];

type AppModules = {
  listExports: (request: Request, ctx: unknown) => Promise<Response>;
  updateSession: (request: NextRequest) => Promise<NextResponse>;
};
let app: AppModules;

const signingKeys = (path: string) =>
  fetch(`${stack.apiUrl}/_devstack/signing-keys${path}`, { method: 'POST' }).then(
    async (res) => (await res.json()) as { kid: string },
  );

beforeAll(async () => {
  userId = (await createUser(db, { email, password })).id;
  if (stack.apiKeyMode === 'new') {
    // Two standby keys, published before the app first reads the JWKS: the app knows them when they
    // start signing ('revoked key' below), as it knows hosted standby keys long before a rotation.
    standbyKids = [(await signingKeys('')).kid, (await signingKeys('')).kid];
  }
  vi.stubEnv('NEXT_PUBLIC_SUPABASE_URL', stack.apiUrl);
  vi.stubEnv('NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY', stack.publishableKey);
  vi.stubEnv('SUPABASE_SECRET_KEY', stack.secretKey);
  vi.stubEnv('TYPESENSE_URL', stack.typesenseUrl);
  vi.stubEnv('TYPESENSE_API_KEY', stack.typesenseApiKey);
  const route = await import('@/app/api/exports/route');
  const proxy = await import('@/lib/supabase/proxy');
  app = { listExports: route.GET, updateSession: proxy.updateSession };
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await db.end();
});

async function signIn(): Promise<string> {
  const { data, error } = await anonClient().auth.signInWithPassword({ email, password });
  expect(error).toBeNull();
  return data.session!.access_token;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function claims(): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return { sub: userId, role: 'authenticated', aud: 'authenticated', email, iat: now, exp: now + 3600 };
}

/** A token that claims to be signed by the project's `kid` but carries no signature at all. */
function unsigned(alg: string, kid: string): string {
  return `${b64({ alg, kid, typ: 'JWT' })}.${b64(claims())}.`;
}

/** A well-formed token with the project's `kid`, signed by a key of the attacker's. */
async function signedElsewhere(alg: 'ES384' | 'RS256', kid: string): Promise<string> {
  const { privateKey } = await generateKeyPair(alg);
  return new SignJWT(claims()).setProtectedHeader({ alg, kid, typ: 'JWT' }).sign(privateKey);
}

/** The cookie @supabase/ssr keeps a session in (`sb-<first host label>-auth-token`, base64url JSON). */
function sessionCookie(accessToken: string, expiresAt = Math.floor(Date.now() / 1000) + 3600) {
  const name = `sb-${new URL(stack.apiUrl).hostname.split('.')[0]}-auth-token`;
  const session = {
    access_token: accessToken,
    refresh_token: 'not-a-refresh-token',
    token_type: 'bearer',
    expires_in: 3600,
    expires_at: expiresAt,
    user: { id: userId },
  };
  return { name, header: `${name}=base64-${b64(session)}` };
}

async function callApi(headers: Record<string, string>) {
  const response = await app.listExports(new Request('http://localhost/api/exports', { headers }), {
    params: Promise.resolve({}),
  });
  return { status: response.status, body: (await response.json()) as { error?: { code: string; message: string } } };
}

async function loadPage(path: string, cookie: string) {
  return app.updateSession(new NextRequest(`http://localhost${path}`, { headers: { cookie } }));
}

/** Every hostile token must be refused the same ways, wherever it is presented. */
async function expectRefusedEverywhere(token: string, expiresAt?: number) {
  const bearer = await callApi({ authorization: `Bearer ${token}` });
  expect(bearer.status).toBe(401);
  expect(bearer.body.error).toMatchObject({ code: 'unauthenticated', message: expect.stringMatching(/Sign in/) });

  const cookie = sessionCookie(token, expiresAt);
  const viaCookie = await callApi({ cookie: cookie.header });
  expect(viaCookie.status).toBe(401);
  expect(viaCookie.body.error?.code).toBe('unauthenticated');

  const page = await loadPage('/exports', cookie.header);
  expect(page.status).toBe(307);
  const location = new URL(page.headers.get('location')!);
  expect(location.pathname).toBe('/sign-in');
  expect(location.searchParams.get('next')).toBe('/exports');
  expect(page.cookies.get(cookie.name)?.value).toBe(''); // the session is cleared

  const signInPage = await loadPage('/sign-in', cookie.header);
  expect(signInPage.status).toBe(200); // rendered, not redirected (NextResponse.next())
  expect(signInPage.cookies.get(cookie.name)?.value).toBe('');
}

describe('hostile access tokens: 401 on API routes, sign-in on pages', () => {
  it('accepts the real session (so the refusals below are about the tokens)', async () => {
    const token = await signIn();
    expect((await callApi({ authorization: `Bearer ${token}` })).status).toBe(200);
    const cookie = sessionCookie(token);
    expect((await callApi({ cookie: cookie.header })).status).toBe(200);
    const page = await loadPage('/exports', cookie.header);
    expect(page.status).toBe(200);
    expect(page.cookies.get(cookie.name)).toBeUndefined(); // left alone
  });

  it('refuses a token with the real kid and alg none, None, ES384 or RS256', async () => {
    if (stack.apiKeyMode === 'legacy') return; // no kids on a legacy project: see 'garbage' below
    const { kid } = decodeProtectedHeader(await signIn());
    expect(kid).toEqual(expect.any(String));
    for (const token of [
      unsigned('none', kid!),
      unsigned('None', kid!),
      await signedElsewhere('ES384', kid!),
      await signedElsewhere('RS256', kid!),
    ]) {
      await expectRefusedEverywhere(token);
    }
  });

  it('refuses garbage, a token signed with a made-up HS256 secret, and an expired token', async () => {
    const forgedHs256 = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(new TextEncoder().encode('not the project secret, but long enough'));
    for (const token of ['garbage', 'a.b.c', `${b64({ alg: 'ES256' })}.not-json.`, forgedHs256]) {
      await expectRefusedEverywhere(token);
    }
    const expired = await mintUserJwt(userId, { email, expiresInSeconds: -60 });
    const bearer = await callApi({ authorization: `Bearer ${expired}` });
    expect(bearer).toMatchObject({ status: 401, body: { error: { message: expect.stringMatching(/expired/) } } });
    // In a cookie, an expired token is refreshed first; the refresh token is no good, so the session ends.
    await expectRefusedEverywhere(expired, Math.floor(Date.now() / 1000) - 60);
  });

  it('refuses a token whose signing key was revoked after the app had read the JWKS', async () => {
    if (stack.apiKeyMode === 'legacy') return;
    // A rotation makes the newest standby key the one in use (devstack/jwt.ts): `leaked`, then `next`.
    const [next, leaked] = standbyKids as [string, string];
    expect(await signingKeys('/rotate')).toMatchObject({ kid: leaked, status: 'in_use' });
    const token = await signIn();
    expect(decodeProtectedHeader(token).kid).toBe(leaked);
    expect((await callApi({ authorization: `Bearer ${token}` })).status).toBe(200); // the app trusts it

    expect(await signingKeys('/rotate')).toMatchObject({ kid: next, status: 'in_use' });
    expect(await signingKeys(`/${leaked}/revoke`)).toMatchObject({ kid: leaked, status: 'revoked' });
    // The app read the JWKS seconds ago and may not read it again yet: PostgREST's refusal is the 401,
    // and from then on the app refuses the key itself, before any service sees the token.
    const first = await callApi({ authorization: `Bearer ${token}` });
    expect(first).toMatchObject({ status: 401, body: { error: { message: expect.stringMatching(/revoked/) } } });
    const second = await callApi({ authorization: `Bearer ${token}` });
    expect(second).toMatchObject({
      status: 401,
      body: { error: { message: expect.stringMatching(/no longer trusts/) } },
    });
    await expectRefusedEverywhere(token);
    // Other sessions are unaffected.
    expect((await callApi({ authorization: `Bearer ${await signIn()}` })).status).toBe(200);
  });
});
