import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { AppError } from '@/lib/api/app-error';
import type { ExportJob } from '@/lib/exports/types';
import { encodeCsvHeader } from '@/supabase/functions/_shared/export-format.ts';
import { SHARD_GZIP_LEVEL } from '@/supabase/functions/_shared/gzip-shard.ts';
import { formPrefix, type DownloadForm } from './download-form';
import type { FileShard } from './read-file-manifest';

/**
 * One shard object as the manifest records it, seen as the bytes the file takes from it: `bytes` and
 * `sha256` describe those bytes. When the object is stored as gzip and the file wants plain bytes,
 * `stored` describes the object itself: it is read whole and checked against `stored`, decompressed, and
 * the result checked against `bytes` and `sha256` — all before any of its bytes are used. `generation`
 * and `attempt` say which write of the shard it is.
 */
export type ShardObject = {
  shardNo: number;
  storageKey: string;
  bytes: number;
  sha256: string;
  stored?: { encoding: 'gzip'; bytes: number; sha256: string };
  generation: number;
  attempt: number;
};

/** The part of a verified shard object the file takes: bytes [skip, object.bytes). */
type ShardSegment = { kind: 'shard'; object: ShardObject; skip: number };

/** Bytes that come from no shard: the Excel form's byte-order mark, the CSV header of an export with no rows. */
type LiteralSegment = { kind: 'literal'; bytes: Uint8Array };

export type Segment = ShardSegment | LiteralSegment;

/**
 * The downloadable file as a list of segments, computed from the manifest alone (never by listing
 * storage). Byte offsets of the file map onto segments, which is how a Range request is served without
 * reading what it skips.
 */
export type DownloadPlan = {
  segments: Segment[];
  /** Exact file size (the Content-Length of a full response). */
  size: number;
  /**
   * Strong validator of exactly these bytes: it covers every shard's identity (storage key, generation,
   * attempt), not only its checksum, so it changes whenever the bytes behind it may have changed — a
   * shard rewritten by a repair gives the file a new ETag even if its checksum is the same, and a resume
   * across the repair (If-Range) gets the whole new file instead of a splice.
   */
  etag: string;
};

export function segmentLength(segment: Segment): number {
  return segment.kind === 'literal' ? segment.bytes.length : segment.object.bytes - segment.skip;
}

/** What the file takes from one written shard in a form: its plain bytes (decompressed if need be) or its gzip members. */
function shardObject(shard: FileShard, form: DownloadForm): { object: ShardObject; headerBytes: number } {
  const base = {
    shardNo: shard.shard_no,
    storageKey: shard.storage_key,
    generation: shard.generation,
    attempt: shard.attempt,
  };
  if (form === 'gzip') {
    if (shard.encoding !== 'gzip' || shard.gzip_bytes === null || shard.gzip_sha256 === null) {
      throw new AppError(
        'unprocessable',
        'This export was written before shards were stored compressed, so it has no .gz form: download the plain file (compress it yourself), or start the export again.',
        { field: 'form' },
      );
    }
    return {
      object: { ...base, bytes: shard.gzip_bytes, sha256: shard.gzip_sha256 },
      headerBytes: shard.gzip_header_bytes ?? 0,
    };
  }
  const object: ShardObject = { ...base, bytes: shard.bytes, sha256: shard.sha256 };
  if (shard.encoding === 'gzip' && shard.gzip_bytes !== null && shard.gzip_sha256 !== null) {
    object.stored = { encoding: 'gzip', bytes: shard.gzip_bytes, sha256: shard.gzip_sha256 };
  }
  return { object, headerBytes: shard.header_bytes };
}

/** The file of `form` made of `written`: the written shards in file order (readFileManifest). */
export function planDownload(
  job: Pick<ExportJob, 'id' | 'format' | 'fields'>,
  written: readonly FileShard[],
  form: DownloadForm,
): DownloadPlan {
  const segments: Segment[] = [];
  const prefix = formPrefix(form);
  if (prefix.length > 0) segments.push({ kind: 'literal', bytes: prefix });
  written.forEach((shard, index) => {
    const { object, headerBytes } = shardObject(shard, form);
    // CSV: the header once, at the top of the file (in the gzip form, the header's own member).
    segments.push({ kind: 'shard', object, skip: index === 0 ? 0 : headerBytes });
  });
  if (written.length === 0) {
    // No rows: a CSV is its header alone; the .gz of any empty export is still a valid gzip file.
    const content = new TextEncoder().encode(job.format === 'csv' ? encodeCsvHeader(job.fields) : '');
    const bytes = form === 'gzip' ? gzipSync(content, { level: SHARD_GZIP_LEVEL }) : content;
    if (bytes.length > 0) segments.push({ kind: 'literal', bytes });
  }

  const etag = createHash('sha256').update(`${job.id}\n${job.format}\n${form}\n`);
  for (const segment of segments) {
    if (segment.kind === 'literal') {
      etag.update(`literal ${segment.bytes.length}\n`).update(segment.bytes);
    } else {
      const { shardNo, storageKey, bytes, sha256, stored, generation, attempt } = segment.object;
      const from = stored ? ` from ${stored.encoding} ${stored.bytes} ${stored.sha256}` : '';
      etag.update(
        `shard ${shardNo} ${storageKey} g${generation} a${attempt} ${bytes} ${sha256}${from} skip ${segment.skip}\n`,
      );
    }
  }
  return {
    segments,
    size: segments.reduce((sum, s) => sum + segmentLength(s), 0),
    etag: `"${etag.digest('hex').slice(0, 40)}"`,
  };
}
