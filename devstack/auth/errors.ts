import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '../http/respond';

/**
 * GoTrue's error responses. GoTrue answers in one of two shapes depending on the request's
 * `X-Supabase-Api-Version` header (supabase/auth `internal/api/errors.go` HandleResponseError):
 * - version ≥ 2024-01-01 (auth-js always sends it): `{"code":"invalid_credentials","message":"…"}` and the
 *   header echoed back; auth-js reads `code` only when it sees that echoed header (`lib/fetch.ts handleError`).
 * - no/older version: the legacy `{"code":400,"error_code":"invalid_credentials","msg":"…"}`.
 */
export const API_VERSION_HEADER = 'X-Supabase-Api-Version';
const API_VERSION_2024 = '2024-01-01';

export class GoTrueError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
    /** Extra body fields GoTrue adds for some errors (e.g. `weak_password.reasons`). */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** OAuth-style errors (`{"error","error_description"}`), which GoTrue still uses for some token-grant failures. */
export class OAuthError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
  ) {
    super(description);
  }
}

function wantsNewShape(req: IncomingMessage): boolean {
  const raw = req.headers[API_VERSION_HEADER.toLowerCase()];
  if (typeof raw !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(raw)) return false;
  const requested = Date.parse(`${raw}T00:00:00Z`);
  return Number.isFinite(requested) && requested >= Date.parse(`${API_VERSION_2024}T00:00:00Z`);
}

export function sendAuthError(req: IncomingMessage, res: ServerResponse, error: GoTrueError | OAuthError): void {
  if (error instanceof OAuthError) {
    sendJson(res, 400, { error: error.error, error_description: error.description });
    return;
  }
  if (wantsNewShape(req)) {
    sendJson(
      res,
      error.status,
      { code: error.errorCode, message: error.message, ...error.extra },
      { [API_VERSION_HEADER]: API_VERSION_2024 },
    );
    return;
  }
  sendJson(res, error.status, {
    code: error.status,
    error_code: error.errorCode,
    msg: error.message,
    ...error.extra,
  });
}

export const authErrors = {
  invalidCredentials: () => new GoTrueError(400, 'invalid_credentials', 'Invalid login credentials'),
  emailNotConfirmed: () => new GoTrueError(400, 'email_not_confirmed', 'Email not confirmed'),
  validation: (message: string) => new GoTrueError(400, 'validation_failed', message),
  badJson: () => new GoTrueError(400, 'bad_json', 'Could not parse request body as JSON'),
  noAuthorization: () => new GoTrueError(401, 'no_authorization', 'This endpoint requires a Bearer token'),
  badJwt: (message: string) => new GoTrueError(403, 'bad_jwt', message),
  notAdmin: () => new GoTrueError(403, 'not_admin', 'User not allowed'),
  userNotFound: () => new GoTrueError(403, 'user_not_found', 'User from sub claim in JWT does not exist'),
  sessionNotFound: () =>
    new GoTrueError(403, 'session_not_found', 'Session from session_id claim in JWT does not exist'),
  refreshTokenNotFound: () =>
    new GoTrueError(400, 'refresh_token_not_found', 'Invalid Refresh Token: Refresh Token Not Found'),
  refreshTokenAlreadyUsed: () =>
    new GoTrueError(400, 'refresh_token_already_used', 'Invalid Refresh Token: Already Used'),
  emailExists: () => new GoTrueError(422, 'email_exists', 'A user with this email address has already been registered'),
  weakPassword: (minLength: number) =>
    new GoTrueError(422, 'weak_password', `Password should be at least ${minLength} characters.`, {
      weak_password: { reasons: ['length'] },
    }),
  notFound: () => new GoTrueError(404, 'not_found', 'Not Found'),
  methodNotAllowed: () => new GoTrueError(405, 'method_not_allowed', 'Method Not Allowed'),
  unsupportedGrant: () => new GoTrueError(400, 'invalid_credentials', 'unsupported_grant_type'),
};
