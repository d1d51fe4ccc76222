import { errorResponse } from './app-error';
import { assertSafeRequest } from './assert-safe-request';

/**
 * Wraps a route handler so every thrown error is mapped to HTTP in one place, and state-changing requests
 * pass the cross-site guard first.
 */
export function handleRoute<Ctx>(handler: (request: Request, ctx: Ctx) => Promise<Response>) {
  return async (request: Request, ctx: Ctx): Promise<Response> => {
    try {
      assertSafeRequest(request);
      return await handler(request, ctx);
    } catch (error) {
      return errorResponse(error);
    }
  };
}
