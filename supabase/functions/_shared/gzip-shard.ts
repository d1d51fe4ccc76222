import { gzipSync } from 'node:zlib';
import type { EncodedShard } from './export-format.ts';

/**
 * gzip level of stored shards. Measured on the demo blog posts (250 records, ~0.7 MB a CSV shard) with
 * `node:zlib` in Deno 2.9.6 — CPU ms a shard / compressed ÷ plain:
 *   level 1: 1.0 ms / 0.090 · level 3: 2.3 ms / 0.069 · level 6: 3.2 ms / 0.053 · level 9: 6.1 ms / 0.052
 *   (CompressionStream, which has no level: 6.5 ms / 0.053).
 * A page already costs ~23 ms of isolate CPU (encode, hash, upload); the worker's budget may be as low as
 * 200 ms an invocation, so level 1 (+4 % CPU a page) is chosen over level 6 (+14 %): it is already far
 * under the 0.25 target, and CPU, not storage, is what ends invocations.
 */
export const SHARD_GZIP_LEVEL = 1;

export type GzipShard = {
  /** The stored object: gzip member(s), concatenated. */
  bytes: Uint8Array;
  /** Length of the leading member that holds the CSV header alone (0 for NDJSON). */
  headerBytes: number;
};

/**
 * A shard as gzip members: for CSV the header row as its own member, then the rows, so the compressed
 * download can drop every later shard's header member the way the plain one drops its header row. A
 * multi-member gzip file is valid (RFC 1952 §2.2): `gunzip` of the concatenation is the plain file.
 * `node:zlib` (not CompressionStream) because it takes a level; it runs in Deno and Node alike.
 */
export function gzipShard(encoded: EncodedShard): GzipShard {
  const options = { level: SHARD_GZIP_LEVEL };
  if (encoded.headerBytes === 0) {
    const bytes = gzipSync(encoded.bytes, options);
    return { bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), headerBytes: 0 };
  }
  const header = gzipSync(encoded.bytes.subarray(0, encoded.headerBytes), options);
  const rows = gzipSync(encoded.bytes.subarray(encoded.headerBytes), options);
  const bytes = new Uint8Array(header.length + rows.length);
  bytes.set(header, 0);
  bytes.set(rows, header.length);
  return { bytes, headerBytes: header.length };
}
