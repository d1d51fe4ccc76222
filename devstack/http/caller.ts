import type { IncomingMessage } from 'node:http';
import type { JwtService, VerifyResult } from '../jwt';

/** The bearer token of a request: `Authorization: Bearer …`, else the `apikey` header (as the gateway does). */
export function bearerToken(req: IncomingMessage): string | null {
  const auth = req.headers.authorization;
  if (typeof auth === 'string') {
    const match = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (match) return match[1]!.trim();
  }
  const apikey = req.headers.apikey;
  return typeof apikey === 'string' && apikey.length > 0 ? apikey : null;
}

export type CallerResult = VerifyResult | { ok: false; reason: 'missing'; message: string };

/** Verifies the caller's JWT (HS256, project secret). */
export async function resolveCaller(req: IncomingMessage, jwt: JwtService): Promise<CallerResult> {
  const token = bearerToken(req);
  if (!token) return { ok: false, reason: 'missing', message: 'No API key found in request' };
  return jwt.verify(token);
}
