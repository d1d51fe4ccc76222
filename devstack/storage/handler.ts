import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { z } from 'zod';
import type { DevstackContext } from '../context';
import { readBody } from '../http/body';
import { resolveCaller } from '../http/caller';
import { sendJson } from '../http/respond';
import type { RouteHandler } from '../http/route';
import { serveObject } from './download';
import { StorageError, sendStorageError, storageErrors } from './errors';
import { ObjectFiles } from './files';
import { decodePathPart, splitBucketAndKey, validateBucketName, validateKey } from './keys';
import { ensureStorageSchema } from './schema';
import { UrlSigner } from './sign';
import {
  bucketJson,
  deleteObjects,
  emptyBucket,
  findBucket,
  findObject,
  listFolder,
  objectRowJson,
  type BucketRow,
  type ObjectRow,
} from './store';
import { ClientGoneError, handleUpload } from './upload';

export type StorageHandlerOptions = {
  /** Per-object cap (hosted: 50 MB on Free, up to 500 GB paid); a bucket's `file_size_limit` can lower it. */
  maxObjectBytes?: number;
  /** How long an injected 'timeout' fault holds a request before dropping the connection. */
  faultTimeoutMs?: number;
  /** Defaults to `<dataDir>/storage`. */
  root?: string;
};

export const DEFAULT_MAX_OBJECT_BYTES = 512 * 1024 * 1024;
const JSON_BODY_LIMIT = 1024 * 1024;
const PREFIX = '/storage/v1';

type Caller = { service: boolean };

const fileSizeLimit = z.union([z.number().int().min(0), z.string(), z.null()]).optional();
const createBucketSchema = z.object({
  id: z.string().optional(),
  name: z.string(),
  public: z.boolean().optional(),
  file_size_limit: fileSizeLimit,
  allowed_mime_types: z.array(z.string()).nullable().optional(),
  type: z.string().optional(),
});
const updateBucketSchema = z.object({
  public: z.boolean().optional(),
  file_size_limit: fileSizeLimit,
  allowed_mime_types: z.array(z.string()).nullable().optional(),
});
const listSchema = z.object({
  prefix: z.string().default(''),
  limit: z.number().int().min(1).max(1000000).default(100),
  offset: z.number().int().min(0).default(0),
  sortBy: z
    .object({
      column: z.enum(['name', 'created_at', 'updated_at', 'last_accessed_at']).default('name'),
      order: z.string().default('asc'),
    })
    .default({ column: 'name', order: 'asc' }),
  search: z.string().default(''),
});
const removeSchema = z.object({ prefixes: z.array(z.string()).min(1).max(1000) });
const signSchema = z.object({ expiresIn: z.number().int().min(1) });
const signManySchema = z.object({ expiresIn: z.number().int().min(1), paths: z.array(z.string()).min(1) });

/** '20MB' / '1GB' / '30KB' / '3B' / a number of bytes, as createBucket accepts. */
function parseFileSizeLimit(value: number | string | null | undefined): number | null | undefined {
  if (value === undefined || value === null || typeof value === 'number') return value;
  if (value.trim() === '') return null;
  const match = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB)?$/i.exec(value.trim());
  if (!match) throw storageErrors.invalidRequest('Invalid file size format, hint: use 20GB / 20MB / 30KB / 3B');
  const units: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };
  return Math.floor(Number(match[1]) * (units[(match[2] ?? 'B').toUpperCase()] ?? 1));
}

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
 * The Supabase Storage API over Postgres (metadata) and the local filesystem (bytes).
 * Access model, matching a hosted project with no storage RLS policies: the service role may do anything;
 * anyone may read objects of a public bucket; for everyone else a private bucket behaves as RLS makes it —
 * reads find nothing (NoSuchKey / NoSuchBucket / empty lists) and writes get the 403 RLS error.
 */
export function createStorageHandler(ctx: DevstackContext, options: StorageHandlerOptions = {}): RouteHandler {
  const maxObjectBytes = options.maxObjectBytes ?? DEFAULT_MAX_OBJECT_BYTES;
  const faultTimeoutMs = options.faultTimeoutMs ?? 30_000;
  const files = new ObjectFiles(options.root ?? path.join(ctx.config.dataDir, 'storage'));
  const signer = new UrlSigner(ctx.keys.jwtSecret);
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
  async function objectForRead(
    bucketId: string,
    key: string,
    who: Caller | null,
    viaPublicRoute: boolean,
  ): Promise<ObjectRow> {
    const bucket = await findBucket(ctx.db, bucketId);
    if (!bucket) throw who?.service ? storageErrors.noSuchBucket() : storageErrors.noSuchKey();
    const allowed = bucket.public || (!viaPublicRoute && who?.service === true);
    const row = allowed ? await findObject(ctx.db, bucketId, key) : null;
    if (!row) throw storageErrors.noSuchKey();
    return row;
  }

  /** Opens the row's file; if a concurrent replace removed it between row and open, read the row again once. */
  async function download(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    load: () => Promise<ObjectRow>,
  ): Promise<void> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const row = await load();
      const file = await files.openVersion(row.version);
      if (file) {
        await serveObject(
          req,
          res,
          row,
          file,
          url.searchParams.has('download') ? (url.searchParams.get('download') ?? '') : null,
        );
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

  async function bucketRoutes(req: IncomingMessage, res: ServerResponse, parts: string[]): Promise<void> {
    const method = req.method ?? 'GET';
    const [id, action] = parts;
    if (id === undefined || id === '') {
      if (method === 'GET') {
        const who = await caller(req, true);
        const { rows } = who?.service
          ? await ctx.db.query<BucketRow>('select * from storage.buckets order by name')
          : { rows: [] as BucketRow[] };
        sendJson(res, 200, rows.map(bucketJson));
        return;
      }
      if (method === 'POST') {
        const who = await caller(req, true);
        const body = await readJson(req, createBucketSchema);
        const bucketId = validateBucketName(body.id ?? body.name);
        if (!who?.service) throw storageErrors.rlsDenied();
        const { rowCount } = await ctx.db.query(
          `insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
           values ($1, $2, $3, $4, $5) on conflict do nothing`,
          [
            bucketId,
            validateBucketName(body.name),
            body.public ?? false,
            parseFileSizeLimit(body.file_size_limit) ?? null,
            body.allowed_mime_types ?? null,
          ],
        );
        if (!rowCount) throw storageErrors.bucketAlreadyExists();
        sendJson(res, 200, { name: bucketId });
        return;
      }
      throw storageErrors.notFound(`${method}:/bucket`);
    }
    const bucketId = decodePathPart(id);
    const who = await caller(req, true);
    const bucket = who?.service ? await findBucket(ctx.db, bucketId) : null;
    if (method === 'GET' && action === undefined) {
      if (!bucket) throw storageErrors.noSuchBucket();
      sendJson(res, 200, bucketJson(bucket));
      return;
    }
    if (!who?.service)
      throw (await findBucket(ctx.db, bucketId)) ? storageErrors.rlsDenied() : storageErrors.noSuchBucket();
    if (!bucket) throw storageErrors.noSuchBucket();
    if (method === 'POST' && action === 'empty') {
      await emptyBucket(ctx.db, files, bucketId);
      sendJson(res, 200, { message: 'Successfully emptied' });
    } else if (method === 'PUT' && action === undefined) {
      const body = await readJson(req, updateBucketSchema);
      await ctx.db.query(
        `update storage.buckets set public = coalesce($2, public),
           file_size_limit = case when $3 then $4 else file_size_limit end,
           allowed_mime_types = case when $5 then $6 else allowed_mime_types end,
           updated_at = now()
         where id = $1`,
        [
          bucketId,
          body.public ?? null,
          body.file_size_limit !== undefined,
          parseFileSizeLimit(body.file_size_limit) ?? null,
          body.allowed_mime_types !== undefined,
          body.allowed_mime_types ?? null,
        ],
      );
      sendJson(res, 200, { message: 'Successfully updated' });
    } else if (method === 'DELETE' && action === undefined) {
      const { rows } = await ctx.db.query('select 1 from storage.objects where bucket_id = $1 limit 1', [bucketId]);
      if (rows.length > 0) throw storageErrors.bucketNotEmpty();
      await ctx.db.query('delete from storage.buckets where id = $1', [bucketId]);
      sendJson(res, 200, { message: 'Successfully deleted' });
    } else {
      throw storageErrors.notFound(`${method}:/bucket/${bucketId}${action ? `/${action}` : ''}`);
    }
  }

  async function objectRoutes(req: IncomingMessage, res: ServerResponse, rest: string, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    const isRead = method === 'GET' || method === 'HEAD';
    const take = (prefix: string) => (rest.startsWith(prefix) ? rest.slice(prefix.length) : null);

    const listed = take('list/');
    if (listed !== null && method === 'POST') {
      const bucketId = decodePathPart(listed.replace(/\/+$/, ''));
      const who = await caller(req, true);
      const body = await readJson(req, listSchema);
      const bucket = await findBucket(ctx.db, bucketId);
      const rows =
        who?.service && bucket
          ? await listFolder(ctx.db, bucketId, {
              prefix: body.prefix.replace(/^\/+/, ''),
              limit: Math.min(body.limit, 1000),
              offset: body.offset,
              sortColumn: body.sortBy.column,
              sortOrder: body.sortBy.order.toLowerCase() === 'desc' ? 'desc' : 'asc',
              search: body.search,
            })
          : [];
      sendJson(
        res,
        200,
        rows.map((r) => ({
          name: r.name,
          id: r.id,
          updated_at: r.updated_at?.toISOString() ?? null,
          created_at: r.created_at?.toISOString() ?? null,
          last_accessed_at: r.last_accessed_at?.toISOString() ?? null,
          metadata: r.metadata,
        })),
      );
      return;
    }

    const signed = take('sign/');
    if (signed !== null) {
      if (isRead) {
        const { bucket, key } = splitBucketAndKey(signed);
        await signer.verify(url.searchParams.get('token') ?? '', bucket, key);
        await download(
          req,
          res,
          url,
          async () => (await findObject(ctx.db, bucket, key)) ?? Promise.reject(storageErrors.noSuchKey()),
        );
        return;
      }
      if (method !== 'POST') throw storageErrors.notFound(`${method}:/object/sign`);
      const who = await caller(req, true);
      if (!signed.replace(/\/+$/, '').includes('/')) {
        const bucketId = decodePathPart(signed.replace(/\/+$/, ''));
        const body = await readJson(req, signManySchema);
        const out = [];
        for (const p of body.paths) {
          try {
            const key = validateKey(p.replace(/^\/+/, ''));
            await objectForRead(bucketId, key, who, false);
            out.push({ error: null, path: p, signedURL: await signer.sign(bucketId, key, body.expiresIn) });
          } catch (error) {
            if (!(error instanceof StorageError)) throw error;
            out.push({
              error: 'Either the object does not exist or you do not have access to it',
              path: p,
              signedURL: null,
            });
          }
        }
        sendJson(res, 200, out);
        return;
      }
      const { bucket, key } = splitBucketAndKey(signed);
      const body = await readJson(req, signSchema);
      await objectForRead(bucket, key, who, false);
      sendJson(res, 200, { signedURL: await signer.sign(bucket, key, body.expiresIn) });
      return;
    }

    const info = take('info/');
    if (info !== null && isRead) {
      const viaPublic = info.startsWith('public/');
      const { bucket, key } = splitBucketAndKey(info.replace(/^(public|authenticated)\//, ''));
      const who = await caller(req, !viaPublic);
      const row = await objectForRead(bucket, key, who, viaPublic);
      sendJson(res, 200, {
        id: row.id,
        name: row.name,
        version: row.version,
        bucket_id: row.bucket_id,
        size: row.metadata.size,
        content_type: row.metadata.mimetype,
        cache_control: row.metadata.cacheControl,
        etag: row.metadata.eTag,
        metadata: row.user_metadata ?? {},
        last_modified: row.updated_at.toISOString(),
        created_at: row.created_at.toISOString(),
      });
      return;
    }

    const publicPath = take('public/');
    if (publicPath !== null && isRead) {
      const { bucket, key } = splitBucketAndKey(publicPath);
      await download(req, res, url, () => objectForRead(bucket, key, null, true));
      return;
    }
    const authPath = take('authenticated/');
    if (authPath !== null && isRead) {
      const { bucket, key } = splitBucketAndKey(authPath);
      const who = await caller(req, true);
      await download(req, res, url, () => objectForRead(bucket, key, who, false));
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

    const { bucket, key } = splitBucketAndKey(rest);
    if (isRead) {
      // The plain object route serves public buckets without credentials, private ones to the service role.
      const who = await caller(req, false);
      await download(req, res, url, () => objectForRead(bucket, key, who, false));
      return;
    }
    const who = await caller(req, true);
    if (who === null) throw storageErrors.missingAuth();
    if (method === 'DELETE') {
      const bucketRow = await bucketForWrite(bucket, who);
      const rows = await deleteObjects(ctx.db, files, bucketRow.id, [key]);
      if (rows.length === 0) throw storageErrors.noSuchKey();
      sendJson(res, 200, { message: 'Successfully deleted' });
      return;
    }
    if (method === 'POST' || method === 'PUT') {
      const bucketRow = await bucketForWrite(bucket, who);
      const mode = method === 'PUT' ? 'update' : req.headers['x-upsert'] === 'true' ? 'upsert' : 'create';
      const { row } = await handleUpload({ db: ctx.db, files, maxObjectBytes }, req, bucketRow, key, mode, null);
      sendJson(res, 200, { Id: row.id, Key: `${bucket}/${key}` });
      return;
    }
    throw storageErrors.notFound(`${method}:/object`);
  }

  return async (req, res, subpath, url) => {
    // Route on the raw path: the URL parser resolves `..` and `%2e%2e`, which would hide traversal attempts.
    const rawUrlPath = (req.url ?? '').split('?')[0] ?? '';
    const raw = rawUrlPath.startsWith(`${PREFIX}/`) ? rawUrlPath.slice(PREFIX.length) : subpath;
    try {
      await ready;
      if (raw.startsWith('/object/')) {
        const decision = await ctx.faults.decide('storage', req.url ?? '');
        if (decision === 'error') throw storageErrors.injected();
        if (decision === 'timeout') {
          hold(req, res);
          return;
        }
        await objectRoutes(req, res, raw.slice('/object/'.length), url);
      } else if (raw === '/bucket' || raw.startsWith('/bucket/')) {
        await bucketRoutes(req, res, raw.slice('/bucket'.length).split('/').slice(1));
      } else {
        throw storageErrors.notFound(`${req.method ?? 'GET'}:${raw}`);
      }
    } catch (error) {
      if (error instanceof ClientGoneError) return;
      if (!(error instanceof StorageError)) throw error;
      if (res.headersSent) {
        res.destroy();
        return;
      }
      // An error answered before the body was read (e.g. Duplicate): close rather than read megabytes to discard.
      if (!req.readableEnded) res.setHeader('Connection', 'close');
      sendStorageError(res, error);
    }
  };
}
