// STUB: replaced by the auth service implementation.
import type { DevstackContext } from '../context';
import { sendJson } from '../http/respond';
import type { RouteHandler } from '../http/route';

export function createAuthHandler(ctx: DevstackContext): RouteHandler {
  void ctx;
  return async (_req, res) => {
    sendJson(res, 501, { message: 'auth is not ready yet' });
  };
}
