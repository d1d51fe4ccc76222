import { AppError } from './app-error';

/** Requests during which Supabase refused the caller's token (lib/auth/watch-token-refusals.ts). */
const refusedRequests = new WeakSet<Request>();

export function recordTokenRefusal(request: Request): void {
  refusedRequests.add(request);
}

/**
 * The error a route answers when Supabase refused the caller's token while serving `request` (whatever
 * the query that saw it made of that), else null.
 */
export function tokenRefusal(request: Request): AppError | null {
  return refusedRequests.has(request)
    ? new AppError(
        'unauthenticated',
        'Supabase no longer accepts your session (its signing key was revoked). Sign in again.',
      )
    : null;
}
