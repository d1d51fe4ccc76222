import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DevstackContext } from '../context';
import { BodyTooLargeError, readBody } from '../http/body';
import { sendJson } from '../http/respond';
import {
  handleCreateCollection,
  handleDropCollection,
  handleGetCollection,
  handleImport,
  handleListCollections,
} from './collections';
import { ApiKeyStore, keyAllows, nowSeconds } from './api-keys';
import { TypesenseError } from './errors';
import { prepareExport, streamExport } from './export';
import { applyEmbeddedParams, verifyScopedKey, type EmbeddedParams } from './scoped-keys';
import { searchDocuments } from './search';
import { analyseIfGrown, ensureStore, getCollection } from './store';

/**
 * A Typesense-compatible HTTP server over Postgres, for what Baton, its tests and its benchmarks call
 * (docs/protocols.md §5): the official `typesense` client talks to it unmodified. Routes:
 *
 *   GET    /health                                    (no key needed)
 *   GET    /collections                 POST /collections
 *   GET    /collections/:name           DELETE /collections/:name
 *   GET    /collections/:name/documents/search
 *   GET    /collections/:name/documents/export        (streamed JSONL)
 *   POST   /collections/:name/documents/import        (action=create)
 *   POST   /keys
 *
 * Anything else (multi_search, single-document reads and writes, listing keys, aliases, …) is a 404 "Not
 * Found", the answer real Typesense gives for an unknown route; devstack/README.md lists what is served.
 * Each route needs a key allowing its action on its collection: the bootstrap key, a stored key
 * (api-keys.ts), or a scoped search key (scoped-keys.ts).
 */

/** `http_server.cpp`: longer query strings are refused before routing. */
const MAX_QUERY_STRING = 4000;
/** Fault 'timeout': hold the request this long, then drop the socket, so nothing leaks past a test. */
const TIMEOUT_FAULT_HOLD_MS = 30_000;

const UNAUTHORIZED = 'Forbidden - a valid `x-typesense-api-key` header must be sent.';

export async function startTypesenseServer(ctx: DevstackContext): Promise<{ url: string; close: () => Promise<void> }> {
  await ensureStore(ctx.db);
  const keys = new ApiKeyStore(ctx.config.typesenseApiKey);
  keys.create({
    description: 'Search-only key (devstack configuration): the parent of the scoped keys Baton derives',
    value: ctx.config.typesenseSearchKey,
    actions: ['documents:search'],
    collections: ['*'],
  });
  const heldSockets = new Map<NodeJS.Timeout, IncomingMessage>();

  /** Applies the configured fault; returns true when the request has been answered (or is being held). */
  const injectFault = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const decision = await ctx.faults.decide('typesense', req.url ?? '');
    if (decision === 'error') {
      sendJson(res, 503, { message: 'Not Ready or Lagging' });
      return true;
    }
    if (decision === 'timeout') {
      const timer = setTimeout(() => {
        heldSockets.delete(timer);
        req.socket.destroy();
      }, TIMEOUT_FAULT_HOLD_MS);
      heldSockets.set(timer, req);
      req.socket.once('close', () => {
        clearTimeout(timer);
        heldSockets.delete(timer);
      });
      return true;
    }
    return false;
  };

  const server = http.createServer((req, res) => {
    handle(ctx, keys, req, res, injectFault).catch((error: unknown) => {
      if (error instanceof TypesenseError) {
        if (!res.headersSent) sendJson(res, error.status, { message: error.message });
        else res.destroy();
        return;
      }
      if (error instanceof BodyTooLargeError) {
        if (!res.headersSent) sendJson(res, 413, { message: 'Request body is too large.' });
        return;
      }
      ctx.log(
        'typesense',
        `${req.method ?? '?'} ${req.url ?? ''} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      if (!res.headersSent) sendJson(res, 500, { message: 'Internal devstack error' });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(ctx.config.typesensePort, ctx.config.host, resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `http://${ctx.config.host}:${port}`;
  ctx.log('typesense', `listening on ${url}`);
  return {
    url,
    close: async () => {
      for (const [timer, req] of heldSockets) {
        clearTimeout(timer);
        req.socket.destroy();
      }
      heldSockets.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

type FaultHook = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

function apiKeyOf(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers['x-typesense-api-key'];
  const fromHeader = Array.isArray(header) ? header[0] : header;
  return fromHeader ?? url.searchParams.get('x-typesense-api-key') ?? undefined;
}

function queryOf(url: URL): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of url.searchParams) if (k !== 'x-typesense-api-key') out[k] = v;
  return out;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new TypesenseError(400, 'Bad URL encoding.');
  }
}

/** A served route: the action and collection its key must allow (as Typesense names them). */
type Route = { action: string; collection: string };

function routeOf(method: string, parts: string[]): Route | undefined {
  const [root, name, sub, action] = parts;
  if (root === 'keys' && parts.length === 1 && method === 'POST') return { action: 'keys:create', collection: '' };
  if (root !== 'collections') return undefined;
  if (name === undefined) {
    if (method === 'GET') return { action: 'collections:list', collection: '' };
    if (method === 'POST') return { action: 'collections:create', collection: '' };
  } else if (sub === undefined) {
    if (method === 'GET') return { action: 'collections:get', collection: name };
    if (method === 'DELETE') return { action: 'collections:delete', collection: name };
  } else if (sub === 'documents' && parts.length === 4) {
    if (action === 'search' && method === 'GET') return { action: 'documents:search', collection: name };
    if (action === 'export' && method === 'GET') return { action: 'documents:export', collection: name };
    if (action === 'import' && method === 'POST') return { action: 'documents:import', collection: name };
  }
  return undefined;
}

/**
 * `AuthManager::authenticate`: the bootstrap key, a stored key that allows the action on the collection,
 * or a valid scoped search key (with the params it embeds); anything else is Typesense's 401. An unknown
 * route still needs a key that may do anything (`*`), then answers 404.
 */
function authenticate(keys: ApiKeyStore, apiKey: string | undefined, route: Route | undefined): EmbeddedParams {
  const unauthorized = new TypesenseError(401, UNAUTHORIZED);
  if (!apiKey) throw unauthorized;
  if (apiKey === keys.bootstrapKey) return {};
  const action = route?.action ?? '*';
  const collection = route?.collection ?? '';
  const now = nowSeconds();
  const stored = keys.find(apiKey);
  if (stored) {
    if (!keyAllows(stored, action, collection, { asScopedParent: false, now })) throw unauthorized;
    return {};
  }
  const embedded = verifyScopedKey(keys, apiKey, action, collection, now);
  if (!embedded) throw unauthorized;
  return embedded;
}

/** `POST /keys` bodies are a few hundred bytes. */
const MAX_KEY_BODY_BYTES = 64 * 1024;

async function handle(
  ctx: DevstackContext,
  keys: ApiKeyStore,
  req: IncomingMessage,
  res: ServerResponse,
  injectFault: FaultHook,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://typesense.local');
  const method = req.method ?? 'GET';
  if (url.search.length - 1 > MAX_QUERY_STRING) {
    throw new TypesenseError(
      400,
      'Query string exceeds max allowed length of 4000. Use the /multi_search end-point for larger payloads.',
    );
  }
  const parts = url.pathname
    .split('/')
    .filter((s) => s !== '')
    .map(decodeSegment);
  if (method === 'GET' && parts.length === 1 && parts[0] === 'health') {
    sendJson(res, 200, { ok: true });
    return;
  }
  const route = routeOf(method, parts);
  const embedded = authenticate(keys, apiKeyOf(req, url), route);

  const db = ctx.db;
  const query = queryOf(url);
  const [root, name, sub, action] = parts;

  if (route?.action === 'keys:create') {
    let body: unknown;
    try {
      body = JSON.parse((await readBody(req, MAX_KEY_BODY_BYTES)).toString('utf8'));
    } catch {
      throw new TypesenseError(400, 'Bad JSON.');
    }
    return sendJson(res, 201, keys.create(body));
  }
  if (root !== 'collections') throw new TypesenseError(404, 'Not Found');

  if (name === undefined) {
    if (method === 'GET') return sendJson(res, 200, await handleListCollections(db));
    if (method === 'POST') return sendJson(res, 201, await handleCreateCollection(db, req));
  } else if (sub === undefined) {
    if (method === 'GET') return sendJson(res, 200, await handleGetCollection(db, name));
    if (method === 'DELETE') return sendJson(res, 200, await handleDropCollection(db, name));
  } else if (sub === 'documents' && parts.length === 4 && action !== undefined) {
    if (action === 'search' && method === 'GET') {
      if (await injectFault(req, res)) return;
      const collection = await getCollection(db, name);
      return sendJson(res, 200, await searchDocuments(db, collection, applyEmbeddedParams(query, embedded)));
    }
    if (action === 'export' && method === 'GET') {
      if (await injectFault(req, res)) return;
      const collection = await getCollection(db, name);
      // Validate params and filter before the 200 goes out, so errors still get a proper status.
      const prepared = prepareExport(collection, query);
      await streamExport(db, res, prepared);
      return;
    }
    if (action === 'import' && method === 'POST') {
      const collection = await getCollection(db, name);
      const body = await handleImport(db, collection, req, query);
      await analyseIfGrown(db, name);
      res.writeHead(200, {
        'Content-Type': 'text/plain; charset=utf-8',
        'Content-Length': String(Buffer.byteLength(body)),
      });
      res.end(body);
      return;
    }
  }
  throw new TypesenseError(404, 'Not Found');
}
