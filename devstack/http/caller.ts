import type { IncomingMessage } from 'node:http';
import type { DevstackKeys } from '../keys';
import type { JwtService, SupabaseClaims, VerifyResult } from '../jwt';

/**
 * The hosted API gateway in front of every service (docs/protocols-2026.md §1.2–1.3): it checks the
 * `apikey` against the project's keys, maps a secret key to `service_role` and a publishable key to
 * `anon`, and forwards a user's JWT untouched. Every devstack service resolves its caller here, so
 * REST, Storage, Realtime, Functions and Auth agree on who is calling.
 */

/** What the gateway needs of the devstack context. */
export type GatewayKeys = { keys: DevstackKeys; jwt: JwtService };

/** The gateway's 401s, with hosted Supabase's bodies. */
export type GatewayRejection = {
  status: 401;
  body: { message: string; hint: string };
  headers: Record<string, string>;
};

const rejections = {
  noKey: {
    message: 'No API key found in request',
    hint: 'No `apikey` request header or url param was found.',
  },
  invalidKey: { message: 'Invalid API key', hint: 'Double check your API key.' },
  legacyDisabled: {
    message: 'Legacy API keys are disabled',
    hint: 'Your legacy API keys (anon, service_role) are disabled. Use the publishable and secret API keys instead.',
  },
  secretInBrowser: {
    message: 'Forbidden use of secret API key in browser',
    hint: 'Secret API keys can only be used in a protected environment and should never be used in a browser. Delete this secret API key immediately!',
  },
};

function reject(body: GatewayRejection['body'], headers: Record<string, string> = {}): GatewayRejection {
  return { status: 401, body, headers };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The API key: the `apikey` header, or the `apikey` query parameter (WebSockets cannot set headers). */
export function apiKeyOf(req: IncomingMessage, url?: URL): string | null {
  const value = header(req, 'apikey') ?? url?.searchParams.get('apikey') ?? undefined;
  return value && value.length > 0 ? value : null;
}

function bearerOf(req: IncomingMessage): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header(req, 'authorization') ?? '');
  return match ? match[1]! : null;
}

/**
 * The role an API key stands for, or null for a value that is no key of this project. A 2026 project
 * knows its publishable and secret keys; a legacy one its anon and service-role JWTs.
 */
export function roleOfApiKey(gateway: GatewayKeys, apikey: string): 'anon' | 'service_role' | null {
  const { keys, jwt } = gateway;
  if (jwt.mode === 'new') {
    if (apikey === keys.secretKey) return 'service_role';
    if (apikey === keys.publishableKey) return 'anon';
    return null;
  }
  if (apikey === keys.serviceRoleKey) return 'service_role';
  if (apikey === keys.anonKey) return 'anon';
  return null;
}

/** The claims of the short-lived JWT the gateway mints for an API key (hosted: `role` and a short `exp`). */
export function apiKeyClaims(role: 'anon' | 'service_role', lifetimeSeconds = 3600): SupabaseClaims {
  const now = Math.floor(Date.now() / 1000);
  return { iss: 'supabase', role, iat: now, exp: now + lifetimeSeconds };
}

/**
 * The gateway's check before a request reaches a service: null to let it through, else the 401.
 * A `Bearer` holding an `sb_` key passes only when it equals the `apikey` (what supabase-js sends).
 */
export function checkGateway(gateway: GatewayKeys, req: IncomingMessage, url?: URL): GatewayRejection | null {
  const apikey = apiKeyOf(req, url);
  if (!apikey) return reject(rejections.noKey);
  const role = roleOfApiKey(gateway, apikey);
  if (!role) {
    const isLegacyJwt = apikey === gateway.keys.anonKey || apikey === gateway.keys.serviceRoleKey;
    return reject(isLegacyJwt ? rejections.legacyDisabled : rejections.invalidKey);
  }
  // Hosted matches the browser on its User-Agent; every browser's starts with Mozilla/.
  if (apikey.startsWith('sb_secret_') && /^Mozilla\//.test(header(req, 'user-agent') ?? '')) {
    return reject(rejections.secretInBrowser, { 'sb-error-code': 'UNAUTHORIZED_INVALID_API_KEY_TYPE' });
  }
  const bearer = bearerOf(req);
  if (bearer?.startsWith('sb_') && bearer !== apikey) return reject(rejections.invalidKey);
  return null;
}

/** A user's JWT in `Authorization`, or null when there is none (or it is the API key again). */
export function userTokenOf(req: IncomingMessage): string | null {
  const bearer = bearerOf(req);
  return bearer && !bearer.startsWith('sb_') && bearer !== apiKeyOf(req) ? bearer : null;
}

export type CallerResult = VerifyResult | { ok: false; reason: 'missing'; message: string };

/**
 * Who is calling, after the gateway: a user's JWT (verified) when there is one — a key never elevates
 * it — else the role of the API key. On a legacy project the anon / service-role keys are JWTs and
 * arrive as the Bearer too, where they verify like any token.
 */
export async function resolveCaller(req: IncomingMessage, gateway: GatewayKeys): Promise<CallerResult> {
  const token = userTokenOf(req);
  if (token) return gateway.jwt.verify(token);
  const apikey = apiKeyOf(req);
  const role = apikey ? roleOfApiKey(gateway, apikey) : null;
  if (role) return { ok: true, claims: apiKeyClaims(role) };
  return { ok: false, reason: 'missing', message: 'No API key found in request' };
}
