import type { IncomingMessage } from 'node:http';
import { decodeProtectedHeader } from 'jose';
import type { DevstackContext } from '../context';
import { apiKeyOf, roleOfApiKey } from '../http/caller';

export type GateRejection = { code: string; message: string };

function bearerOf(req: IncomingMessage): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return match ? match[1]! : null;
}

/**
 * The hosted platform's `verify_jwt` gate (docs/protocols-2026.md §4.3): a valid JWT in `Authorization`
 * passes, and so does one of the project's API keys on either header ("for migration compatibility").
 * Anything else is a 401 whose code also goes in the `sb-error-code` header. Null: let it through.
 * Functions with `verify_jwt = false` skip this and judge their callers in code.
 */
export async function verifyJwtGate(ctx: DevstackContext, req: IncomingMessage): Promise<GateRejection | null> {
  const apikey = apiKeyOf(req);
  const bearer = bearerOf(req);
  if (apikey && roleOfApiKey(ctx, apikey)) return null;
  if (bearer && roleOfApiKey(ctx, bearer)) return null;
  if (!bearer) return { code: 'UNAUTHORIZED_NO_AUTH_HEADER', message: 'Missing authorization header' };
  let alg: string | undefined;
  try {
    alg = decodeProtectedHeader(bearer).alg;
  } catch {
    return { code: 'UNAUTHORIZED_INVALID_JWT_FORMAT', message: 'Invalid JWT' };
  }
  if (alg !== 'HS256' && alg !== 'ES256' && alg !== 'RS256') {
    return { code: 'UNAUTHORIZED_UNSUPPORTED_TOKEN_ALGORITHM', message: 'Invalid JWT' };
  }
  const verified = await ctx.jwt.verify(bearer);
  if (verified.ok) return null;
  return { code: alg === 'HS256' ? 'UNAUTHORIZED_LEGACY_JWT' : 'UNAUTHORIZED_ASYMMETRIC_JWT', message: 'Invalid JWT' };
}
