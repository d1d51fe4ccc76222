import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { DevstackContext } from '../context';
import { BodyTooLargeError, readBody } from '../http/body';
import { resolveCaller } from '../http/caller';
import { sendEmpty, sendJson } from '../http/respond';
import type { RouteHandler } from '../http/route';
import type { SupabaseClaims } from '../jwt';
import { API_VERSION_HEADER, GoTrueError, OAuthError, authErrors, sendAuthError } from './errors';
import { endSessions, refreshSession, sessionExists, startSession, type SessionOptions } from './sessions';
import { createUser, findUserById, userJson, verifyPassword } from './users';

export { createUser } from './users';

export type AuthHandlerOptions = {
  /** Access-token lifetime; hosted Supabase's default JWT expiry is 3600 s. */
  accessTokenTtlSeconds?: number;
};

const MAX_BODY_BYTES = 64 * 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const metadata = z.record(z.string(), z.unknown());
const passwordGrantSchema = z.object({ email: z.string().optional(), password: z.string().optional() });
const refreshGrantSchema = z.object({ refresh_token: z.string().optional() });
const adminCreateSchema = z.object({
  email: z.string().optional(),
  password: z.string().optional(),
  email_confirm: z.boolean().optional(),
  user_metadata: metadata.optional(),
  app_metadata: metadata.optional(),
});
const logoutScopeSchema = z.enum(['global', 'local', 'others']);

async function readJson<T>(req: IncomingMessage, schema: z.ZodType<T>): Promise<T> {
  let raw: unknown;
  try {
    const body = await readBody(req, MAX_BODY_BYTES);
    raw = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  } catch (error) {
    if (error instanceof BodyTooLargeError) throw new GoTrueError(413, 'request_too_large', 'Request body too large');
    throw authErrors.badJson();
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw authErrors.badJson();
  return parsed.data;
}

function requireEmailAndPassword(
  email: string | undefined,
  password: string | undefined,
): { email: string; password: string } {
  const trimmed = email?.trim() ?? '';
  if (trimmed === '' || !z.email().safeParse(trimmed).success) {
    throw authErrors.validation(
      trimmed === '' ? 'missing email or phone' : 'Unable to validate email address: invalid format',
    );
  }
  if (!password) throw authErrors.validation('Password is required');
  return { email: trimmed, password };
}

/** Verifiers cache the JWKS; hosted serves it with this header (supabase/auth `internal/api/jwks.go`). */
const JWKS_CACHE_CONTROL = 'public, max-age=600';

/**
 * The Supabase Auth (GoTrue) that Baton uses: password and refresh-token grants, `GET /user`, logout,
 * admin user creation (test fixtures) and the JWKS, with GoTrue's JSON shapes and error codes so auth-js
 * behaves exactly as against hosted. Sign-up and the other flows Baton never calls answer 404.
 */
export function createAuthHandler(ctx: DevstackContext, options: AuthHandlerOptions = {}): RouteHandler {
  const sessionOptions: SessionOptions = {
    jwt: ctx.jwt,
    issuer: `${ctx.apiUrl}/auth/v1`,
    accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 3600,
  };

  /**
   * `requireAuthentication` from supabase/auth `internal/api/auth.go`, in the same order of checks. GoTrue
   * reads only the Bearer; behind the gateway an API key there (or none) becomes the key's minted JWT.
   */
  async function authenticate(req: IncomingMessage): Promise<SupabaseClaims> {
    const result = await resolveCaller(req, ctx);
    if (!result.ok) {
      if (result.reason === 'missing') throw authErrors.noAuthorization();
      const why =
        result.reason === 'expired'
          ? 'token has invalid claims: token is expired'
          : `token is malformed: ${result.message}`;
      throw authErrors.badJwt(`invalid JWT: unable to parse or verify signature, ${why}`);
    }
    return result.claims;
  }

  async function currentUser(claims: SupabaseClaims) {
    if (!claims.sub) throw authErrors.badJwt('invalid claim: missing sub claim');
    if (!UUID.test(claims.sub)) throw new GoTrueError(400, 'bad_jwt', 'invalid claim: sub claim must be a UUID');
    const user = await findUserById(ctx.db, claims.sub);
    if (!user) throw authErrors.userNotFound();
    if (claims.session_id) {
      if (!UUID.test(claims.session_id)) throw authErrors.badJwt('invalid claim: session_id claim must be a UUID');
      if (!(await sessionExists(ctx.db, claims.session_id))) throw authErrors.sessionNotFound();
    }
    return user;
  }

  async function token(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const grant = url.searchParams.get('grant_type');
    if (grant === 'password') {
      const body = await readJson(req, passwordGrantSchema);
      const { email, password } = requireEmailAndPassword(body.email, body.password);
      const user = await verifyPassword(ctx.db, email, password);
      if (!user) throw authErrors.invalidCredentials();
      if (!user.email_confirmed_at) throw authErrors.emailNotConfirmed();
      sendJson(res, 200, await startSession(ctx.db, sessionOptions, user));
    } else if (grant === 'refresh_token') {
      const body = await readJson(req, refreshGrantSchema);
      if (!body.refresh_token) throw new OAuthError('invalid_request', 'refresh_token required');
      sendJson(res, 200, await refreshSession(ctx.db, sessionOptions, body.refresh_token));
    } else {
      throw authErrors.unsupportedGrant();
    }
  }

  async function adminCreateUser(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const claims = await authenticate(req);
    if (claims.role !== 'service_role' && claims.role !== 'supabase_admin') throw authErrors.notAdmin();
    const body = await readJson(req, adminCreateSchema);
    const { email, password } = requireEmailAndPassword(body.email, body.password);
    const user = await createUser(ctx.db, {
      email,
      password,
      userMetadata: body.user_metadata ?? {},
      appMetadata: body.app_metadata ?? {},
      // Hosted admin.createUser leaves the email unconfirmed unless email_confirm is true.
      emailConfirmed: body.email_confirm ?? false,
    });
    sendJson(res, 200, userJson(user));
  }

  async function route(req: IncomingMessage, res: ServerResponse, subpath: string, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    const key = `${method} ${subpath.replace(/\/+$/, '') || '/'}`;
    switch (key) {
      case 'POST /token':
        return token(req, res, url);
      case 'GET /.well-known/jwks.json':
      case 'GET /jwks':
        sendJson(res, 200, ctx.jwt.jwks(), { 'Cache-Control': JWKS_CACHE_CONTROL });
        return;
      case 'GET /user': {
        const user = await currentUser(await authenticate(req));
        sendJson(res, 200, userJson(user));
        return;
      }
      case 'POST /logout': {
        const scope = logoutScopeSchema.safeParse(url.searchParams.get('scope') ?? 'global');
        if (!scope.success) throw authErrors.validation(`Unsupported logout scope "${url.searchParams.get('scope')}"`);
        const claims = await authenticate(req);
        const user = await currentUser(claims);
        await endSessions(ctx.db, user.id, claims.session_id ?? null, scope.data);
        sendEmpty(res, 204);
        return;
      }
      case 'POST /admin/users':
        return adminCreateUser(req, res);
      case 'GET /health':
        sendJson(res, 200, {
          version: 'devstack',
          name: 'GoTrue',
          description: 'GoTrue is a user registration and authentication API',
        });
        return;
      default:
        throw authErrors.notFound();
    }
  }

  return async (req, res, subpath, url) => {
    // GoTrue exposes its version header to browsers; without it auth-js in a browser cannot read error codes.
    const exposed = res.getHeader('Access-Control-Expose-Headers');
    if (typeof exposed === 'string' && !exposed.includes(API_VERSION_HEADER)) {
      res.setHeader('Access-Control-Expose-Headers', `${exposed}, ${API_VERSION_HEADER}`);
    }
    try {
      await route(req, res, subpath, url);
    } catch (error) {
      if (error instanceof GoTrueError || error instanceof OAuthError) {
        if (!res.headersSent) sendAuthError(req, res, error);
        return;
      }
      throw error;
    }
  };
}
