import { createHash } from 'node:crypto';
import type { ExportJob } from '@/lib/exports/types';
import { encodeCsvHeader } from '@/supabase/functions/_shared/export-format.ts';
import { formPrefix, type DownloadForm } from './download-form';
import type { FileShard } from './read-file-manifest';

/**
 * One shard object as the manifest records it. It is read whole and checked against `bytes` and `sha256`
 * before any of its bytes are used; `generation` and `attempt` say which write of the shard it is.
 */
export type ShardObject = {
  shardNo: number;
  storageKey: string;
  bytes: number;
  sha256: string;
  generation: number;
  attempt: number;
};

/** The part of a verified shard object the file takes: bytes [skip, object.bytes). */
export type ShardSegment = { kind: 'shard'; object: ShardObject; skip: number };

/** Bytes that come from no shard: the Excel form's byte-order mark, the CSV header of an export with no rows. */
export type LiteralSegment = { kind: 'literal'; bytes: Uint8Array };

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

/** The file of `form` made of `written`: the written shards in file order (readFileManifest). */
export function planDownload(
  job: Pick<ExportJob, 'id' | 'format' | 'fields'>,
  written: readonly FileShard[],
  form: DownloadForm,
): DownloadPlan {
  const segments: Segment[] = [];
  const prefix = formPrefix(form);
  if (prefix.length > 0) segments.push({ kind: 'literal', bytes: prefix });
  written.forEach((shard, index) =>
    segments.push({
      kind: 'shard',
      object: {
        shardNo: shard.shard_no,
        storageKey: shard.storage_key,
        bytes: shard.bytes,
        sha256: shard.sha256,
        generation: shard.generation,
        attempt: shard.attempt,
      },
      // CSV: the header once, at the top of the file.
      skip: index === 0 ? 0 : shard.header_bytes,
    }),
  );
  if (written.length === 0 && job.format === 'csv') {
    segments.push({ kind: 'literal', bytes: new TextEncoder().encode(encodeCsvHeader(job.fields)) });
  }

  const etag = createHash('sha256').update(`${job.id}\n${job.format}\n${form}\n`);
  for (const segment of segments) {
    if (segment.kind === 'literal') {
      etag.update(`literal ${segment.bytes.length}\n`).update(segment.bytes);
    } else {
      const { shardNo, storageKey, bytes, sha256, generation, attempt } = segment.object;
      etag.update(
        `shard ${shardNo} ${storageKey} g${generation} a${attempt} ${bytes} ${sha256} skip ${segment.skip}\n`,
      );
    }
  }
  return {
    segments,
    size: segments.reduce((sum, s) => sum + segmentLength(s), 0),
    etag: `"${etag.digest('hex').slice(0, 40)}"`,
  };
}
