import { z } from 'zod';

/**
 * The one error taxonomy of the API. Domain code throws AppError with a code; `errorResponse` maps it to
 * HTTP once. A client's mistake is a 4xx with a message a person can act on; anything else is a 500
 * with a generic message (and a log line), never a leaked stack.
 */
const appErrorStatus = {
  bad_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  /** The resource existed and is gone for good (an export's files after its retention period). */
  gone: 410,
  unsupported_media_type: 415,
  unprocessable: 422,
  range_not_satisfiable: 416,
  /** Too many requests in a window (a share link's, an API token's); `details.retryAfterSeconds` becomes the Retry-After header. */
  too_many_requests: 429,
  /** A service we depend on answered with data that fails verification (e.g. a damaged shard object). */
  upstream_damaged: 502,
  upstream_unavailable: 503,
} as const;

export type AppErrorCode = keyof typeof appErrorStatus;

export function appErrorHttpStatus(code: AppErrorCode): number {
  return appErrorStatus[code];
}

export class AppError extends Error {
  constructor(
    readonly code: AppErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

type ErrorBody = { error: { code: string; message: string; details?: Record<string, unknown> } };

export function errorResponse(error: unknown): Response {
  if (error instanceof AppError) {
    const body: ErrorBody = { error: { code: error.code, message: error.message, details: error.details } };
    const retryAfter = error.details?.retryAfterSeconds;
    return Response.json(body, {
      status: appErrorStatus[error.code],
      headers: typeof retryAfter === 'number' ? { 'Retry-After': String(retryAfter) } : undefined,
    });
  }
  if (error instanceof z.ZodError) {
    const issue = error.issues[0];
    const field = issue?.path.join('.') || undefined;
    const body: ErrorBody = {
      error: {
        code: 'validation_failed',
        message: field ? `${field}: ${issue?.message}` : (issue?.message ?? 'Invalid request'),
        details: { issues: error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
      },
    };
    return Response.json(body, { status: 422 });
  }
  console.error('[api] unexpected error', error);
  const body: ErrorBody = {
    error: { code: 'internal', message: 'Something went wrong on our side. Please try again.' },
  };
  return Response.json(body, { status: 500 });
}
