import type { FileHandle } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { sendJson } from '../http/respond';
import type { ObjectRow } from './store';

export type ByteRange = { start: number; end: number };

/**
 * A single `Range: bytes=…` against `size`: a range, 'unsatisfiable' (→ 416), or null to serve the whole
 * object (no header, a multi-range list, or a syntactically invalid one, which RFC 9110 says to ignore).
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | null {
  if (!header) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return null;
  const [, from = '', to = ''] = match;
  if (from === '' && to === '') return null;
  if (from === '') {
    const suffix = Number(to);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(from);
  const end = to === '' ? size - 1 : Math.min(Number(to), size - 1);
  if (start >= size) return 'unsatisfiable';
  if (end < start) return null;
  return { start, end };
}

function etagMatches(ifNoneMatch: string, etag: string): boolean {
  const bare = (t: string) => t.trim().replace(/^W\//, '');
  return ifNoneMatch.split(',').some((t) => t.trim() === '*' || bare(t) === bare(etag));
}

function contentDisposition(download: string, key: string): string {
  const name = download === '' ? (key.split('/').pop() ?? key) : download;
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/**
 * Streams one object version from disk with the headers Storage's renderer sends (Content-Type, Length,
 * ETag, Last-Modified, Cache-Control, Accept-Ranges), honouring `If-None-Match` (304) and one byte range
 * (206/416). `file` is already open, so a concurrent replace or delete cannot change the bytes mid-stream.
 */
export async function serveObject(
  req: IncomingMessage,
  res: ServerResponse,
  row: ObjectRow,
  file: FileHandle,
  download: string | null,
): Promise<void> {
  let handedOff = false;
  try {
    const size = (await file.stat()).size;
    const etag = row.metadata.eTag;
    const common: Record<string, string> = {
      ETag: etag,
      'Last-Modified': row.updated_at.toUTCString(),
      'Cache-Control': row.metadata.cacheControl,
      'Accept-Ranges': 'bytes',
    };
    const ifNoneMatch = req.headers['if-none-match'];
    if (typeof ifNoneMatch === 'string' && etagMatches(ifNoneMatch, etag)) {
      res.writeHead(304, common);
      res.end();
      return;
    }
    const range = parseRange(req.headers.range, size);
    if (range === 'unsatisfiable') {
      sendJson(
        res,
        416,
        { statusCode: '416', code: 'InvalidRange', error: 'invalid_range', message: 'invalid range provided' },
        { 'Content-Range': `bytes */${size}` },
      );
      return;
    }
    const headers: Record<string, string> = { ...common, 'Content-Type': row.metadata.mimetype };
    if (download !== null) headers['Content-Disposition'] = contentDisposition(download, row.name);
    const start = range?.start ?? 0;
    const end = range?.end ?? size - 1;
    headers['Content-Length'] = String(Math.max(0, end - start + 1));
    if (range) headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
    res.writeHead(range ? 206 : 200, headers);
    if (req.method === 'HEAD' || size === 0) {
      res.end();
      return;
    }
    handedOff = true;
    const stream = file.createReadStream({ start, end, autoClose: true });
    try {
      await pipeline(stream, res);
    } catch {
      // The client hung up mid-download; pipeline has already destroyed both streams.
    }
  } finally {
    if (!handedOff) await file.close();
  }
}
