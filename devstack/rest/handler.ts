// STUB: replaced by the rest service implementation.
import type { DevstackContext } from '../context';
import { sendJson } from '../http/respond';
import type { RouteHandler } from '../http/route';

export function createRestHandler(ctx: DevstackContext): RouteHandler {
  void ctx;
  return async (_req, res) => {
    sendJson(res, 501, { message: 'rest is not ready yet' });
  };
}
