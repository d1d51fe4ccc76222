import { authenticateApiToken, requireScope, type ApiCaller } from './authenticate-api-token';
import type { ApiTokenScope } from './api-token-scopes';
import { problemFor } from './problem-response';

/**
 * A REST API v1 handler: authenticates the bearer token (and counts it against its rate limit), demands
 * the route's scope, and turns anything thrown into one problem+json response. No cookie is read, so
 * the dashboard's cross-site guard has nothing to guard here.
 */
export function v1Route<Ctx>(
  scope: ApiTokenScope,
  handler: (request: Request, caller: ApiCaller, ctx: Ctx) => Promise<Response>,
) {
  return async (request: Request, ctx: Ctx): Promise<Response> => {
    try {
      const caller = await authenticateApiToken(request);
      requireScope(caller, scope);
      return await handler(request, caller, ctx);
    } catch (error) {
      return problemFor(error);
    }
  };
}
