import { decodeJwt } from 'jose';
import { apiKeyClaims, roleOfApiKey, type GatewayKeys } from '../http/caller';
import type { SupabaseClaims } from '../jwt';

/** Key-only (public) connections are cut after 24 h on hosted (docs/protocols-2026.md §1.2). */
const API_KEY_TOKEN_LIFETIME_SECONDS = 24 * 3600;

export type TokenCheck =
  | { ok: true; claims: SupabaseClaims; exp: number }
  | { ok: false; kind: 'missing' | 'malformed' | 'expired' | 'signature' | 'claims'; message: string };

/**
 * Verifies a Realtime token the way the real server does (`ChannelsAuthorization.authorize_conn`):
 * the project's signing keys (by `kid`, or the legacy secret), and both `role` and `exp` must be
 * present. An API key stands for the JWT the gateway mints for it. Messages follow the real ones so
 * app code that logs them sees familiar text.
 */
export async function checkToken(gateway: GatewayKeys, token: string | null | undefined): Promise<TokenCheck> {
  if (!token) return { ok: false, kind: 'missing', message: 'API key is missing' };
  const cleaned = token.replace(/\s/g, '');
  const keyRole = roleOfApiKey(gateway, cleaned);
  if (keyRole) {
    const claims = apiKeyClaims(keyRole, API_KEY_TOKEN_LIFETIME_SECONDS);
    return { ok: true, claims, exp: claims.exp! };
  }
  let peeked: ReturnType<typeof decodeJwt>;
  try {
    peeked = decodeJwt(cleaned);
  } catch {
    return { ok: false, kind: 'malformed', message: 'The token provided is not a valid JWT' };
  }
  const verified = await gateway.jwt.verify(cleaned);
  if (!verified.ok) {
    if (verified.reason === 'expired') {
      const secondsAgo = typeof peeked.exp === 'number' ? Math.max(0, Math.floor(Date.now() / 1000) - peeked.exp) : 0;
      return { ok: false, kind: 'expired', message: `Token has expired ${secondsAgo} seconds ago` };
    }
    if (typeof peeked.role !== 'string') {
      return { ok: false, kind: 'claims', message: 'Fields `role` and `exp` are required in JWT' };
    }
    return { ok: false, kind: 'signature', message: 'Failed to validate JWT signature' };
  }
  const exp = verified.claims.exp;
  if (typeof exp !== 'number')
    return { ok: false, kind: 'claims', message: 'Fields `role` and `exp` are required in JWT' };
  return { ok: true, claims: verified.claims, exp };
}

/** The `code: message` reason of a join error reply (realtime_channel.ex + logging.ex). */
export function joinErrorReason(check: Exclude<TokenCheck, { ok: true }>): string {
  switch (check.kind) {
    case 'signature':
      return `JwtSignatureError: ${check.message}`;
    default:
      return `InvalidJWTToken: ${check.message}`;
  }
}

/** The body of the refused HTTP upgrade (docs/protocols.md §1.1). */
export function upgradeErrorMessage(check: Exclude<TokenCheck, { ok: true }>): string {
  return check.kind === 'expired' ? 'Token has expired' : check.message;
}
