import { errorResponse } from './app-error';

/** Wraps a route handler so every thrown error is mapped to HTTP in one place. */
export function handleRoute<Ctx>(handler: (request: Request, ctx: Ctx) => Promise<Response>) {
  return async (request: Request, ctx: Ctx): Promise<Response> => {
    try {
      return await handler(request, ctx);
    } catch (error) {
      return errorResponse(error);
    }
  };
}
