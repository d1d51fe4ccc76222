// STUB: replaced by the storage service implementation.
import type { DevstackContext } from '../context';
import { sendJson } from '../http/respond';
import type { RouteHandler } from '../http/route';

export function createStorageHandler(ctx: DevstackContext): RouteHandler {
  void ctx;
  return async (_req, res) => {
    sendJson(res, 501, { message: 'storage is not ready yet' });
  };
}
