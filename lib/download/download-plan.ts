import { createHash } from 'node:crypto';
import { encodeCsvHeader } from '@/supabase/functions/_shared/export-format.ts';
import type { ExportJob, ExportShard } from '@/lib/exports/types';

/**
 * The downloadable file as a list of segments, computed from the manifest alone (never by listing
 * storage): each shard's bytes, minus its CSV header for every shard but the first. Byte offsets of the
 * file map onto segments, which is how a Range request is served without reading what it skips.
 */
export type ShardSegment = {
  kind: 'shard';
  shardNo: number;
  storageKey: string;
  sha256: string;
  /** Size of the whole object in storage. */
  objectBytes: number;
  /** Bytes of the object that belong to the file: [skip, objectBytes). */
  skip: number;
};

/** Bytes that are not in any shard: the CSV header of an export with no rows. */
export type LiteralSegment = { kind: 'literal'; bytes: Uint8Array };

export type Segment = ShardSegment | LiteralSegment;

export type DownloadPlan = {
  segments: Segment[];
  /** Exact file size (the Content-Length of a full response). */
  size: number;
  /** Strong validator of this exact content: changes whenever any shard changes. */
  etag: string;
};

export function segmentLength(segment: Segment): number {
  return segment.kind === 'literal' ? segment.bytes.length : segment.objectBytes - segment.skip;
}

export function planDownload(
  job: Pick<ExportJob, 'id' | 'format' | 'fields'>,
  shards: readonly ExportShard[],
): DownloadPlan {
  // File order is key order: lanes hold ascending key ranges, shards ascend within a lane.
  const written = [...shards]
    .filter((s) => s.status === 'written')
    .sort((a, b) => a.lane - b.lane || a.lane_seq - b.lane_seq);
  const segments: Segment[] = written.map((shard, index) => ({
    kind: 'shard',
    shardNo: shard.shard_no,
    storageKey: shard.storage_key,
    sha256: shard.sha256,
    objectBytes: shard.bytes,
    // CSV: the header once, at the top of the file.
    skip: index === 0 ? 0 : shard.header_bytes,
  }));
  if (segments.length === 0 && job.format === 'csv') {
    segments.push({ kind: 'literal', bytes: new TextEncoder().encode(encodeCsvHeader(job.fields)) });
  }
  const etagSource = createHash('sha256').update(`${job.id}\n${job.format}\n`);
  for (const segment of segments) {
    etagSource.update(
      segment.kind === 'shard' ? `${segment.shardNo}:${segment.sha256}:${segment.skip}\n` : 'literal\n',
    );
    if (segment.kind === 'literal') etagSource.update(segment.bytes);
  }
  return {
    segments,
    size: segments.reduce((sum, s) => sum + segmentLength(s), 0),
    etag: `"${etagSource.digest('hex').slice(0, 40)}"`,
  };
}
