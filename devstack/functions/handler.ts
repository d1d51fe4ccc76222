// STUB: replaced by the functions service implementation.
import type { DevstackContext } from '../context';
import { sendJson } from '../http/respond';
import type { RouteHandler } from '../http/route';

export function createFunctionsHandler(ctx: DevstackContext, _options: { functionsDirs: string[] }): RouteHandler {
  void ctx;
  return async (_req, res) => {
    sendJson(res, 501, { message: 'functions is not ready yet' });
  };
}
