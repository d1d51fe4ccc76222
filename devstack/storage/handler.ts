import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { z } from 'zod';
import type { DevstackContext } from '../context';
import { readBody } from '../http/body';
import { resolveCaller } from '../http/caller';
import { sendJson } from '../http/respond';
import type { RouteHandler } from '../http/route';
import { serveObject } from './download';
import { StorageError, sendStorageError, storageErrors } from './errors';
import { ObjectFiles } from './files';
import { decodePathPart, splitBucketAndKey } from './keys';
import { ObjectReadMeter, type ReadSummary } from './read-meter';
import { ensureStorageSchema } from './schema';
import {
  deleteObjects,
  findBucket,
  findObject,
  listFolder,
  objectRowJson,
  type BucketRow,
  type ObjectRow,
} from './store';
import { ClientGoneError, handleUpload } from './upload';

export type StorageHandlerOptions = {
  /** Per-object cap (hosted: 50 MB on Free, up to 500 GB paid). */
  maxObjectBytes?: number;
  /** How long an injected 'timeout' fault holds a request before dropping the connection. */
  faultTimeoutMs?: number;
  /** Defaults to `<dataDir>/storage`. */
  root?: string;
};

export type StorageHandler = RouteHandler & {
  /** Object reads as this server saw them (devstack admin: `GET /_devstack/storage/reads`). */
  readsMatching: (match: string) => ReadSummary;
};

const DEFAULT_MAX_OBJECT_BYTES = 512 * 1024 * 1024;
const JSON_BODY_LIMIT = 1024 * 1024;
const PREFIX = '/storage/v1';

type Caller = { service: boolean };

const removeSchema = z.object({ prefixes: z.array(z.string()).min(1).max(1000) });
/** storage-js `list()` sends these (and `sortBy`/`search`, which the worker leaves at their defaults). */
const listSchema = z.object({
  prefix: z.string().default(''),
  limit: z.number().int().min(1).default(100),
  offset: z.number().int().min(0).default(0),
});

async function readJson<T>(req: IncomingMessage, schema: z.ZodType<T>): Promise<T> {
  let raw: unknown;
  try {
    const body = await readBody(req, JSON_BODY_LIMIT);
    raw = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  } catch {
    throw storageErrors.invalidRequest('Body must be JSON');
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw storageErrors.invalidRequest(z.prettifyError(parsed.error));
  return parsed.data;
}

/**
 * The part of the Supabase Storage API Baton uses, over Postgres (metadata) and the local filesystem
 * (bytes): upload (`POST /object/<bucket>/<key>`, raw body, `x-upsert`), download (`GET`/`HEAD`, one byte
 * range), `info`, bulk remove (`DELETE /object/<bucket>`) and one folder level of listing
 * (`POST /object/list/<bucket>`, by name). Buckets come from migrations, as Baton's `exports` bucket does.
 * Everything else — bucket management, sorting or searching a listing, signed and public URLs, multipart
 * form uploads, moves and copies — answers Storage's "Route … not found" (or says it is not implemented),
 * so a call Baton starts making fails loudly here instead of passing with invented behaviour.
 *
 * Access model, matching a hosted project with no storage RLS policies: the service role may do anything;
 * for everyone else a bucket behaves as RLS makes it — reads find nothing (NoSuchKey) and writes get the
 * 403 RLS error.
 */
export function createStorageHandler(ctx: DevstackContext, options: StorageHandlerOptions = {}): StorageHandler {
  const maxObjectBytes = options.maxObjectBytes ?? DEFAULT_MAX_OBJECT_BYTES;
  const faultTimeoutMs = options.faultTimeoutMs ?? 30_000;
  const files = new ObjectFiles(options.root ?? path.join(ctx.config.dataDir, 'storage'));
  const reads = new ObjectReadMeter();
  // Handler creation is synchronous; requests wait for the schema and folders instead.
  const ready = Promise.all([ensureStorageSchema(ctx.db), files.init()]);
  ready.catch((error: unknown) => ctx.log('storage', `setup failed: ${String(error)}`));

  async function caller(req: IncomingMessage, required: boolean): Promise<Caller | null> {
    const result = await resolveCaller(req, ctx);
    if (result.ok) return { service: result.claims.role === 'service_role' };
    if (result.reason === 'missing') {
      if (required) throw storageErrors.missingAuth();
      return null;
    }
    throw storageErrors.invalidJwt(result.reason === 'expired' ? 'jwt expired' : result.message);
  }

  async function bucketForWrite(id: string, who: Caller): Promise<BucketRow> {
    const bucket = await findBucket(ctx.db, id);
    if (!bucket) throw storageErrors.noSuchBucket();
    if (!who.service) throw storageErrors.rlsDenied();
    return bucket;
  }

  /** The object if this caller may read it; otherwise exactly what a caller without access sees. */
  async function objectForRead(bucketId: string, key: string, who: Caller | null): Promise<ObjectRow> {
    if (!who?.service) throw storageErrors.noSuchKey();
    if (!(await findBucket(ctx.db, bucketId))) throw storageErrors.noSuchBucket();
    const row = await findObject(ctx.db, bucketId, key);
    if (!row) throw storageErrors.noSuchKey();
    return row;
  }

  /** Opens the row's file; if a concurrent replace removed it between row and open, read the row again once. */
  async function download(
    req: IncomingMessage,
    res: ServerResponse,
    load: () => Promise<ObjectRow>,
    countBytes: (bytes: number) => void,
  ): Promise<void> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const row = await load();
      const file = await files.openVersion(row.version);
      if (file) {
        await serveObject(req, res, row, file, countBytes);
        return;
      }
    }
    throw storageErrors.noSuchKey();
  }

  /** Injected 'timeout': never answer; drop the connection later so held requests cannot pile up forever. */
  function hold(req: IncomingMessage, res: ServerResponse): void {
    const timer = setTimeout(() => req.socket.destroy(), faultTimeoutMs);
    timer.unref();
    res.on('close', () => clearTimeout(timer));
  }

  async function objectRoutes(
    req: IncomingMessage,
    res: ServerResponse,
    rest: string,
    countBytes: (bytes: number) => void,
  ): Promise<void> {
    const method = req.method ?? 'GET';
    const isRead = method === 'GET' || method === 'HEAD';

    if (rest.startsWith('info/') && isRead) {
      const { bucket, key } = splitBucketAndKey(rest.slice('info/'.length));
      const row = await objectForRead(bucket, key, await caller(req, true));
      sendJson(res, 200, {
        id: row.id,
        name: row.name,
        version: row.version,
        bucket_id: row.bucket_id,
        size: row.metadata.size,
        content_type: row.metadata.mimetype,
        cache_control: row.metadata.cacheControl,
        etag: row.metadata.eTag,
        metadata: {},
        last_modified: row.updated_at.toISOString(),
        created_at: row.created_at.toISOString(),
      });
      return;
    }

    const trimmed = rest.replace(/\/+$/, '');
    if (method === 'DELETE' && !trimmed.includes('/')) {
      const bucketId = decodePathPart(trimmed);
      const who = await caller(req, true);
      const body = await readJson(req, removeSchema);
      const keys = body.prefixes.map((p) => p.replace(/^\/+/, ''));
      const rows = who?.service ? await deleteObjects(ctx.db, files, bucketId, keys) : [];
      sendJson(res, 200, rows.map(objectRowJson));
      return;
    }

    if (rest.startsWith('list/') && method === 'POST') {
      const bucketId = decodePathPart(rest.slice('list/'.length).replace(/\/+$/, ''));
      const who = await caller(req, true);
      const body = await readJson(req, listSchema);
      // Without storage RLS policies only the service role sees any object (as hosted).
      const entries =
        who?.service && (await findBucket(ctx.db, bucketId))
          ? await listFolder(ctx.db, bucketId, body.prefix.replace(/^\/+/, ''), {
              limit: Math.min(body.limit, 1000),
              offset: body.offset,
            })
          : [];
      sendJson(
        res,
        200,
        entries.map((e) => ({
          name: e.name,
          id: e.id,
          created_at: e.created_at?.toISOString() ?? null,
          updated_at: e.updated_at?.toISOString() ?? null,
          last_accessed_at: null,
          metadata: null,
        })),
      );
      return;
    }

    // Routes of the real API that Baton does not use, named so they are not taken for object keys.
    if (/^(list|sign|public|authenticated|upload|move|copy)(\/|$)/.test(rest)) {
      throw storageErrors.notFound(`${method}:/object/${rest.split('/')[0]}`);
    }
    const { bucket, key } = splitBucketAndKey(rest);
    if (isRead) {
      const who = await caller(req, false);
      await download(req, res, () => objectForRead(bucket, key, who), countBytes);
      return;
    }
    if (method === 'POST') {
      const who = await caller(req, true);
      if (who === null) throw storageErrors.missingAuth();
      const bucketRow = await bucketForWrite(bucket, who);
      const mode = req.headers['x-upsert'] === 'true' ? 'upsert' : 'create';
      const { row } = await handleUpload({ db: ctx.db, files, maxObjectBytes }, req, bucketRow, key, mode);
      sendJson(res, 200, { Id: row.id, Key: `${bucket}/${key}` });
      return;
    }
    throw storageErrors.notFound(`${method}:/object`);
  }

  const handler: RouteHandler = async (req, res, subpath) => {
    // Route on the raw path: the URL parser resolves `..` and `%2e%2e`, which would hide traversal attempts.
    const rawUrlPath = (req.url ?? '').split('?')[0] ?? '';
    const raw = rawUrlPath.startsWith(`${PREFIX}/`) ? rawUrlPath.slice(PREFIX.length) : subpath;
    try {
      await ready;
      if (!raw.startsWith('/object/')) throw storageErrors.notFound(`${req.method ?? 'GET'}:${raw}`);
      // Object reads are counted from their arrival, before any injected latency.
      const isRead = (req.method === 'GET' || req.method === 'HEAD') && !raw.startsWith('/object/info/');
      const countBytes = isRead ? reads.track(req.url ?? '', res) : () => undefined;
      const decision = await ctx.faults.decide('storage', req.url ?? '');
      if (decision === 'error') throw storageErrors.injected();
      if (decision === 'timeout') {
        hold(req, res);
        return;
      }
      await objectRoutes(req, res, raw.slice('/object/'.length), countBytes);
    } catch (error) {
      if (error instanceof ClientGoneError) return;
      if (!(error instanceof StorageError)) throw error;
      if (res.headersSent) {
        res.destroy();
        return;
      }
      // An error found before any of the body was read (e.g. Duplicate): read it all and discard it, then
      // answer. Answering and closing while the client is still sending resets the connection, and fetch
      // then reports "fetch failed" instead of Storage's error (seen with an 8 MB upload). A body refused
      // part-way (over the size cap) is not read to its end: that answer closes the connection.
      if (!req.readableEnded && req.readableFlowing === null) {
        req.resume();
        await finished(req).catch(() => undefined);
      } else if (!req.readableEnded) {
        res.setHeader('Connection', 'close');
      }
      sendStorageError(res, error);
    }
  };
  return Object.assign(handler, { readsMatching: (match: string) => reads.summary(match) });
}
