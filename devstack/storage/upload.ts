import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Pool } from 'pg';
import { StorageError, storageErrors } from './errors';
import type { ObjectFiles, TempWrite } from './files';
import { findObject, recordVersion, type BucketRow, type ObjectRow, type WriteMode } from './store';

/** The client went away mid-upload: nothing to answer, nothing to log. */
export class ClientGoneError extends Error {}

export type UploadDeps = { db: Pool; files: ObjectFiles; maxObjectBytes: number };

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * `POST /object/<bucket>/<key>`: create, or upsert with `x-upsert: true`. The raw body (storage-js sends
 * a Uint8Array, Buffer, string or stream that way) is streamed into a temp file with backpressure while
 * it is counted against the size cap; only then does the database row switch to the new version.
 * storage-js sends a Blob, File or FormData as multipart/form-data, and `metadata` as `x-metadata`:
 * Baton does neither, so both are refused rather than stored wrongly.
 */
export async function handleUpload(
  deps: UploadDeps,
  req: IncomingMessage,
  bucket: BucketRow,
  key: string,
  mode: WriteMode,
): Promise<{ row: ObjectRow }> {
  const contentType = header(req, 'content-type') ?? '';
  if (contentType.toLowerCase().startsWith('multipart/form-data')) {
    throw storageErrors.notImplemented('multipart/form-data uploads (Blob, File, FormData): send the bytes raw');
  }
  if (header(req, 'x-metadata') !== undefined) throw storageErrors.notImplemented('user metadata (x-metadata)');
  const declared = Number(header(req, 'content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > deps.maxObjectBytes) throw storageErrors.entityTooLarge();
  // Cheap check first, so a doomed 50 MB upload is refused before its bytes are read.
  if (mode === 'create' && (await findObject(deps.db, bucket.id, key))) throw storageErrors.keyAlreadyExists();

  const temp: TempWrite = deps.files.startWrite();
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      if (temp.size + chunk.length > deps.maxObjectBytes) throw storageErrors.entityTooLarge();
      await temp.write(chunk);
    }
  } catch (error) {
    await temp.abort();
    if (error instanceof StorageError) throw error;
    // An aborted request surfaces as an error from the body iterator.
    if (req.destroyed || (error as NodeJS.ErrnoException).code === 'ECONNRESET') {
      throw new ClientGoneError('client aborted upload');
    }
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
      metadata: {
        eTag,
        size,
        mimetype: contentType || 'application/octet-stream',
        cacheControl: header(req, 'cache-control') ?? 'no-cache',
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
