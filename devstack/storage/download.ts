import type { FileHandle } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { decideRange } from '../../lib/http/byte-range';
import { sendJson } from '../http/respond';
import type { ObjectRow } from './store';

/**
 * Streams one object version from disk with the headers Storage's renderer sends (Content-Type, Length,
 * ETag, Last-Modified, Cache-Control, Accept-Ranges), honouring one byte range. `file` is already open, so
 * a concurrent replace or delete cannot change the bytes mid-stream.
 *
 * Ranges follow RFC 9110 through the parser the download route uses (lib/http/byte-range.ts): 206, or 416
 * with `Content-Range: bytes *\/size` for an unsatisfiable one, or the whole object for an invalid one
 * (`bytes=5-3`). Hosted Storage hands the header to S3, which answers the same way; Storage's local file
 * backend (supabase/storage `src/storage/range.ts`) is stricter and answers 416 to an invalid range too.
 * Baton itself always reads whole objects: it must hash every byte of a shard.
 */
export async function serveObject(
  req: IncomingMessage,
  res: ServerResponse,
  row: ObjectRow,
  file: FileHandle,
  countBytes: (bytes: number) => void,
): Promise<void> {
  let handedOff = false;
  try {
    const size = (await file.stat()).size;
    const range = decideRange(req.headers.range, size);
    if (range === 'unsatisfiable') {
      sendJson(
        res,
        416,
        { statusCode: '416', code: 'InvalidRange', error: 'invalid_range', message: 'invalid range provided' },
        { 'Content-Range': `bytes */${size}` },
      );
      return;
    }
    const { start, end } = range === 'ignore' ? { start: 0, end: size - 1 } : range;
    const headers: Record<string, string> = {
      'Content-Type': row.metadata.mimetype,
      'Content-Length': String(end - start + 1),
      ETag: row.metadata.eTag,
      'Last-Modified': row.updated_at.toUTCString(),
      'Cache-Control': row.metadata.cacheControl,
      'Accept-Ranges': 'bytes',
    };
    if (range !== 'ignore') headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
    res.writeHead(range === 'ignore' ? 200 : 206, headers);
    if (req.method === 'HEAD' || size === 0) {
      res.end();
      return;
    }
    handedOff = true;
    const stream = file.createReadStream({ start, end, autoClose: true });
    stream.on('data', (chunk) => countBytes(chunk.length));
    try {
      await pipeline(stream, res);
    } catch {
      // The client hung up mid-download; pipeline has already destroyed both streams.
    }
  } finally {
    if (!handedOff) await file.close();
  }
}
