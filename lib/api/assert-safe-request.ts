import { z } from 'zod';
import { AppError } from './app-error';

/**
 * Cross-site request forgery guard for state-changing routes, so it does not rest on the session cookie's
 * SameSite default alone:
 * - the body must be `application/json`: a cross-site page can only send JSON with a CORS preflight, which
 *   these routes never approve, while `text/plain`, form and multipart bodies need none;
 * - a browser's `Origin` (sent on every cross-origin and same-origin POST) must be this site's. Clients
 *   without a browser (scripts with a Bearer token) send no Origin and no ambient cookie to abuse.
 */
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function assertSafeRequest(request: Request): void {
  if (!STATE_CHANGING.has(request.method)) return;

  const origin = request.headers.get('origin');
  if (origin !== null && origin !== siteOrigin(request)) {
    throw new AppError('forbidden', 'Cross-site requests are not allowed: send this request from the Baton dashboard.');
  }
  if (request.headers.get('sec-fetch-site') === 'cross-site') {
    throw new AppError('forbidden', 'Cross-site requests are not allowed: send this request from the Baton dashboard.');
  }

  const mediaType = request.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/json') {
    throw new AppError(
      'unsupported_media_type',
      `Send the request body as JSON with "Content-Type: application/json" (got ${mediaType ? `"${mediaType}"` : 'none'}).`,
    );
  }
}

/**
 * The origin the browser addressed. Behind a proxy or load balancer that is `BATON_PUBLIC_ORIGIN`, set by
 * whoever deploys; without it, the Host the server received and its own protocol. `X-Forwarded-Host` and
 * `X-Forwarded-Proto` are never read: any client can send them, and the server cannot tell a proxy's from
 * a client's.
 */
function siteOrigin(request: Request): string {
  const configured = publicOrigin();
  if (configured) return configured;
  const url = new URL(request.url);
  return `${url.protocol}//${request.headers.get('host') ?? url.host}`;
}

function publicOrigin(): string | null {
  const configured = process.env.BATON_PUBLIC_ORIGIN?.trim();
  if (!configured) return null;
  const parsed = z.url({ protocol: /^https?$/ }).safeParse(configured);
  if (!parsed.success)
    throw new Error(
      `BATON_PUBLIC_ORIGIN must be the dashboard's origin, e.g. https://baton.example.com (got "${configured}")`,
    );
  return new URL(parsed.data).origin;
}
