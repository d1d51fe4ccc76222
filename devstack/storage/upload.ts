import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Pool } from 'pg';
import { StorageError, storageErrors } from './errors';
import type { ObjectFiles, TempWrite } from './files';
import { multipartBoundary, readMultipart } from './multipart';
import { findObject, recordVersion, type BucketRow, type ObjectRow, type WriteMode } from './store';

/** The client went away mid-upload: nothing to answer, nothing to log. */
export class ClientGoneError extends Error {}

export type UploadDeps = { db: Pool; files: ObjectFiles; maxObjectBytes: number };

function mimeAllowed(mime: string, allowed: string[] | null): boolean {
  if (!allowed || allowed.length === 0) return true;
  const base = (mime.split(';')[0] ?? '').trim().toLowerCase();
  return allowed.some((pattern) => {
    const p = pattern.trim().toLowerCase();
    return p.endsWith('/*') ? base.startsWith(p.slice(0, -1)) : base === p;
  });
}

function decodeUserMetadata(raw: string | undefined, base64: boolean): Record<string, unknown> | null {
  if (!raw) return null;
  try {
    const parsed: unknown = JSON.parse(base64 ? Buffer.from(raw, 'base64').toString('utf8') : raw);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    /* fall through */
  }
  throw storageErrors.invalidRequest('Invalid metadata: must be a JSON object');
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * `POST /object/<bucket>/<key>` (create, or upsert with `x-upsert: true`) and `PUT` (update). The body —
 * raw, or the file part of a multipart form — is streamed into a temp file with backpressure while it is
 * counted against the size cap; only then does the database row switch to the new version.
 */
export async function handleUpload(
  deps: UploadDeps,
  req: IncomingMessage,
  bucket: BucketRow,
  key: string,
  mode: WriteMode,
  owner: string | null,
): Promise<{ row: ObjectRow }> {
  const bucketLimit = bucket.file_size_limit === null ? Infinity : Number(bucket.file_size_limit);
  const limit = Math.min(deps.maxObjectBytes, bucketLimit);
  const contentType = header(req, 'content-type') ?? '';
  const boundary = contentType.toLowerCase().startsWith('multipart/form-data') ? multipartBoundary(contentType) : null;
  const declared = Number(header(req, 'content-length') ?? NaN);
  if (boundary === null && Number.isFinite(declared) && declared > limit) throw storageErrors.entityTooLarge();

  // Cheap checks first, so a doomed 50 MB upload is refused before its bytes are read.
  if (mode !== 'upsert') {
    const existing = await findObject(deps.db, bucket.id, key);
    if (mode === 'create' && existing) throw storageErrors.keyAlreadyExists();
    if (mode === 'update' && !existing) throw storageErrors.noSuchKey();
  }
  if (boundary === null && contentType !== '' && !mimeAllowed(contentType, bucket.allowed_mime_types)) {
    throw storageErrors.invalidMimeType(contentType);
  }

  const temp: TempWrite = deps.files.startWrite();
  const sink = async (chunk: Buffer) => {
    if (temp.size + chunk.length > limit) throw storageErrors.entityTooLarge();
    await temp.write(chunk);
  };

  let mimetype: string;
  let cacheControl: string;
  let userMetadata: Record<string, unknown> | null;
  try {
    try {
      if (boundary !== null) {
        const { fields, file } = await readMultipart(req as AsyncIterable<Buffer>, boundary, sink);
        if (!file) throw storageErrors.invalidRequest('No file provided: the form has no file part');
        mimetype = file.contentType ?? 'application/octet-stream';
        const cc = fields.get('cacheControl');
        cacheControl = cc ? (/^\d+$/.test(cc) ? `max-age=${cc}` : cc) : 'no-cache';
        userMetadata = decodeUserMetadata(fields.get('metadata'), false);
      } else {
        for await (const chunk of req as AsyncIterable<Buffer>) await sink(chunk);
        mimetype = contentType || 'application/octet-stream';
        cacheControl = header(req, 'cache-control') ?? 'no-cache';
        userMetadata = decodeUserMetadata(header(req, 'x-metadata'), true);
      }
    } catch (error) {
      if (error instanceof StorageError) throw error;
      // An aborted request surfaces as an error from the body iterator.
      if (req.destroyed || (error as NodeJS.ErrnoException).code === 'ECONNRESET')
        throw new ClientGoneError('client aborted upload');
      throw error;
    }
    if (!mimeAllowed(mimetype, bucket.allowed_mime_types)) throw storageErrors.invalidMimeType(mimetype);
  } catch (error) {
    await temp.abort();
    throw error;
  }

  const version = randomUUID();
  const eTag = await temp.finish(version).catch(async (error: unknown) => {
    await temp.abort();
    throw error;
  });
  const size = temp.size;
  try {
    const { row, replaced } = await recordVersion(deps.db, mode, {
      bucket: bucket.id,
      key,
      version,
      owner,
      userMetadata,
      metadata: {
        eTag,
        size,
        mimetype,
        cacheControl,
        lastModified: new Date().toISOString(),
        contentLength: size,
        httpStatusCode: 200,
      },
    });
    if (replaced) await deps.files.remove(replaced);
    return { row };
  } catch (error) {
    await deps.files.remove(version);
    throw error;
  }
}
