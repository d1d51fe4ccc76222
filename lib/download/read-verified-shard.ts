import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import type { ShardObject } from './download-plan';

/**
 * Opens one object in storage: its body, `'missing'` when storage says it does not exist, or a throw
 * for anything else (storage unreachable, 5xx): that is no fault of the shard and is not recorded on it.
 */
export type OpenObject = (storageKey: string, signal: AbortSignal) => Promise<ReadableStream<Uint8Array> | 'missing'>;

export type IntegrityProblem = {
  shardNo: number;
  /** Which write of the shard was found damaged: a problem is recorded only while that write is current. */
  attempt: number;
  kind: 'missing' | 'size_mismatch' | 'checksum_mismatch';
  message: string;
};

/** The object in storage is not the shard the manifest recorded: none of its bytes may be sent. */
export class ShardIntegrityError extends Error {
  constructor(readonly problem: IntegrityProblem) {
    super(`Shard ${problem.shardNo}: ${problem.message}`);
    this.name = 'ShardIntegrityError';
  }
}

/** Storage failed to deliver an object (unreachable, 5xx, too slow): try again later; the shard may be fine. */
export class StorageReadError extends Error {
  constructor(
    readonly shardNo: number,
    cause: unknown,
  ) {
    super(`Reading shard ${shardNo} from storage failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = 'StorageReadError';
  }
}

/**
 * A 0.7 MB shard arrives in milliseconds; a read still going after this long means storage is stuck
 * (the worker's own storage timeout, BATON_STORAGE_TIMEOUT_MS, has the same 30 s default).
 */
const READ_TIMEOUT_MS = 30_000;

/** A verified shard object: its bytes as storage delivered them, in order (kept as chunks: no copy). */
export type VerifiedShard = readonly Uint8Array[];

/**
 * Reads a whole shard object into memory and checks it against the manifest: its exact size and its
 * sha256. Only a verified shard's bytes are ever returned, so a damaged or replaced object can never put a
 * wrong byte on the wire. A longer object is cut off as soon as it passes the manifest's size, so what
 * storage sends can never make this hold more than the manifest says. A gzip object read for its plain
 * bytes (`object.stored`) is checked as stored, then decompressed whole (~0.1 MB → ~0.7 MB, a few ms)
 * and checked again against the plain size and sha256: a range of the plain form that starts mid-shard
 * decompresses from the shard's start and skips.
 */
export async function readVerifiedShard(
  object: ShardObject,
  openObject: OpenObject,
  signal: AbortSignal,
): Promise<VerifiedShard> {
  const problem = (kind: IntegrityProblem['kind'], message: string) =>
    new ShardIntegrityError({ shardNo: object.shardNo, attempt: object.attempt, kind, message });

  const expected = object.stored ?? object;
  const read = new AbortController();
  const stop = () => read.abort(signal.reason);
  signal.addEventListener('abort', stop, { once: true });
  const timeout = setTimeout(
    () => read.abort(new Error(`no answer within ${READ_TIMEOUT_MS / 1000} s`)),
    READ_TIMEOUT_MS,
  );
  try {
    let body: ReadableStream<Uint8Array> | 'missing';
    try {
      body = await openObject(object.storageKey, read.signal);
    } catch (error) {
      throw signal.aborted ? error : new StorageReadError(object.shardNo, read.signal.reason ?? error);
    }
    if (body === 'missing') throw problem('missing', 'object missing from storage');

    // The chunks are kept as they came rather than copied into one buffer: half the memory churn
    // (a GiB download allocates a GiB of chunks either way), so garbage collection keeps RSS lower.
    const chunks: Uint8Array[] = [];
    const hash = createHash('sha256');
    let received = 0;
    const reader = body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (received + value.length > expected.bytes) {
          throw problem('size_mismatch', `object is larger than the ${expected.bytes} bytes the manifest says`);
        }
        chunks.push(value);
        hash.update(value);
        received += value.length;
      }
    } catch (error) {
      if (error instanceof ShardIntegrityError || signal.aborted) throw error;
      throw new StorageReadError(object.shardNo, read.signal.reason ?? error);
    } finally {
      // Stops the transfer (an oversized object, a failed read) and frees the connection; a no-op when done.
      await reader.cancel().catch(() => undefined);
    }
    if (received !== expected.bytes) {
      throw problem('size_mismatch', `object is ${received} bytes, the manifest says ${expected.bytes}`);
    }
    if (hash.digest('hex') !== expected.sha256) {
      throw problem('checksum_mismatch', 'object checksum differs from the manifest');
    }
    if (!object.stored) return chunks;
    return [decompressVerified(object, chunks, problem)];
  } finally {
    clearTimeout(timeout);
    signal.removeEventListener('abort', stop);
  }
}

/** The plain bytes of a verified gzip object, checked against the manifest's plain size and sha256. */
function decompressVerified(
  object: ShardObject,
  chunks: Uint8Array[],
  problem: (kind: IntegrityProblem['kind'], message: string) => ShardIntegrityError,
): Uint8Array {
  let plain: Buffer;
  try {
    // maxOutputLength: a member that inflates past the manifest's size is refused, not buffered.
    plain = gunzipSync(Buffer.concat(chunks), { maxOutputLength: Math.max(1, object.bytes) });
  } catch (error) {
    throw problem(
      'checksum_mismatch',
      `object does not decompress: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (plain.length !== object.bytes) {
    throw problem('size_mismatch', `object decompresses to ${plain.length} bytes, the manifest says ${object.bytes}`);
  }
  if (createHash('sha256').update(plain).digest('hex') !== object.sha256) {
    throw problem('checksum_mismatch', 'decompressed object checksum differs from the manifest');
  }
  return plain;
}
