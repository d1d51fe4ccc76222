import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DevstackContext } from '../context';
import { BodyTooLargeError, readBody } from '../http/body';
import { apiKeyClaims, resolveCaller, userTokenOf } from '../http/caller';
import type { RouteHandler } from '../http/route';
import type { SupabaseClaims } from '../jwt';
import {
  RestError,
  invalidResourcePath,
  jwtError,
  payloadTooLarge,
  unacceptableSchema,
  unsupportedMethod,
} from './errors';
import { execute, type Plan, type Reply } from './execute';
import { negotiateAccept, parsePrefer } from './headers';
import { parseQuery } from './parse-query';
import { rpcPlan } from './plan-rpc';
import { deletePlan, insertPlan, readPlan, updatePlan } from './plan-table';
import { SchemaCache, type SchemaSnapshot } from './schema-cache';

/**
 * The PostgREST subset at `/rest/v1` (docs/protocols.md §2): tables in `public` (read, insert/upsert,
 * update, delete) and `rpc/<fn>`, each request one transaction under the caller's JWT claims so RLS
 * applies exactly as under PostgREST.
 */

/** Bodies are JSON rows and RPC arguments; anything bigger is a client bug, refused before it is buffered. */
const REST_BODY_LIMIT_BYTES = 10 * 1024 * 1024;

async function authenticate(req: IncomingMessage, ctx: DevstackContext): Promise<SupabaseClaims> {
  const caller = await resolveCaller(req, ctx);
  if (caller.ok) return caller.claims;
  // No token at all: PostgREST's anonymous role (the gateway has already refused a request without a key).
  if (caller.reason === 'missing') return apiKeyClaims('anon');
  if (caller.reason === 'expired') throw jwtError('expired', caller.message);
  // PostgREST's wording for the common decode failures (Error.hs JwtDecodeError).
  const parts = (userTokenOf(req) ?? '').split('.').length;
  const message =
    parts !== 3
      ? `Expected 3 parts in JWT; got ${parts}`
      : /signature/i.test(caller.message)
        ? 'JWT cryptographic operation failed'
        : caller.message;
  throw jwtError('invalid', message);
}

async function readJsonBody(req: IncomingMessage): Promise<string> {
  try {
    return (await readBody(req, REST_BODY_LIMIT_BYTES)).toString('utf8');
  } catch (error) {
    if (error instanceof BodyTooLargeError) throw payloadTooLarge(error.limitBytes);
    throw error;
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

function requestSettings(req: IncomingMessage, method: string, path: string): Record<string, string> {
  const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, headerValue(v) ?? '']));
  const cookies: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) cookies[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return {
    'request.method': method,
    'request.path': path,
    'request.headers': JSON.stringify(headers),
    'request.cookies': JSON.stringify(cookies),
  };
}

function send(res: ServerResponse, method: string, reply: Reply, contentType: string): void {
  const headers: Record<string, string> = { ...reply.headers };
  const payload = reply.body === null || method === 'HEAD' ? null : Buffer.from(reply.body);
  if (reply.body !== null || method === 'HEAD') headers['Content-Type'] = contentType;
  if (payload) headers['Content-Length'] = String(payload.length);
  res.writeHead(reply.status, headers);
  res.end(payload ?? undefined);
}

function sendError(res: ServerResponse, error: RestError): void {
  const payload = Buffer.from(JSON.stringify(error.body));
  res.writeHead(error.status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(payload.length),
    'Proxy-Status': `PostgREST; error=${error.body.code}`,
    ...error.headers,
  });
  res.end(payload);
}

async function handle(
  ctx: DevstackContext,
  cache: SchemaCache,
  req: IncomingMessage,
  res: ServerResponse,
  subpath: string,
  url: URL,
): Promise<void> {
  const method = (req.method ?? 'GET').toUpperCase();
  if (!['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'].includes(method)) throw unsupportedMethod(method);
  const reading = method === 'GET' || method === 'HEAD';
  const profile = headerValue(reading ? req.headers['accept-profile'] : req.headers['content-profile']);
  if (profile !== undefined && profile !== '' && profile !== 'public') throw unacceptableSchema(profile);

  let segments: string[];
  try {
    segments = subpath
      .split('/')
      .filter((s) => s !== '')
      .map(decodeURIComponent);
  } catch {
    throw invalidResourcePath();
  }
  if (segments.length === 0) throw new RestError(404, 'PGRST126', 'Root endpoint metadata is disabled');
  const isRpc = segments[0] === 'rpc' && segments.length === 2;
  if (segments.length !== 1 && !isRpc) throw invalidResourcePath();

  const claims = await authenticate(req, ctx);
  const shape = negotiateAccept(headerValue(req.headers.accept));
  const prefs = parsePrefer(req.headers.prefer);
  const bodyText = method === 'POST' || method === 'PATCH' ? await readJsonBody(req) : '';
  const common = { shape, prefs, method, params: url.searchParams };

  let plan: (schema: SchemaSnapshot) => Plan;
  if (isRpc) {
    if (method !== 'POST' && !reading) throw new RestError(405, 'PGRST101', `Cannot use the ${method} method on RPC`);
    plan = rpcPlan({ ...common, name: segments[1]!, bodyText });
  } else {
    const name = segments[0]!;
    const query = parseQuery(url.searchParams);
    if (reading) plan = readPlan({ ...common, name, query });
    else if (method === 'POST') plan = insertPlan({ ...common, name, query, bodyText });
    else if (method === 'PATCH') plan = updatePlan({ ...common, name, query, bodyText });
    else plan = deletePlan({ ...common, name, query });
  }

  const reply = await execute({
    ctx,
    cache,
    claims,
    settings: requestSettings(req, method, `/${segments.join('/')}`),
    plan,
  });
  const contentType = shape.single
    ? 'application/vnd.pgrst.object+json; charset=utf-8'
    : 'application/json; charset=utf-8';
  send(res, method, reply, contentType);
}

export function createRestHandler(ctx: DevstackContext): RouteHandler {
  const cache = new SchemaCache(ctx.restDb);
  return async (req, res, subpath, url) => {
    try {
      await handle(ctx, cache, req, res, subpath, url);
    } catch (error) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof RestError) {
        sendError(res, error);
        return;
      }
      // A true bug: say so, with the cause, instead of hanging or crashing the devstack.
      const detail = error instanceof Error ? error.message : String(error);
      ctx.log('rest', `${req.method} ${url.pathname}: ${detail}`);
      console.error(`[rest] ${req.method} ${url.pathname}:`, error);
      sendError(res, new RestError(500, 'PGRSTX00', 'Internal devstack error', detail));
    }
  };
}
