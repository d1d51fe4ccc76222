import { errorResponse } from './app-error';
import { assertSafeRequest } from './assert-safe-request';
import { tokenRefusal } from './token-refusals';

/**
 * Wraps a route handler so every thrown error is mapped to HTTP in one place, and state-changing requests
 * pass the cross-site guard first. When Supabase refused the caller's token along the way, that is
 * the cause of whatever the handler threw: a 401.
 */
export function handleRoute<Ctx>(handler: (request: Request, ctx: Ctx) => Promise<Response>) {
  return async (request: Request, ctx: Ctx): Promise<Response> => {
    try {
      assertSafeRequest(request);
      return await handler(request, ctx);
    } catch (error) {
      return errorResponse(tokenRefusal(request) ?? error);
    }
  };
}
