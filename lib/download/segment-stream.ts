import { createHash, type Hash } from 'node:crypto';
import type { SegmentSlice } from './byte-range';
import type { ShardSegment } from './download-plan';

export type OpenObject = (storageKey: string, signal: AbortSignal) => Promise<ReadableStream<Uint8Array> | null>;

export type IntegrityProblem = {
  shardNo: number;
  kind: 'missing' | 'size_mismatch' | 'checksum_mismatch';
  message: string;
};

type OpenShard = {
  slice: SegmentSlice & { segment: ShardSegment };
  reader: ReadableStreamDefaultReader<Uint8Array>;
  abort: AbortController;
  hash: Hash;
  /** Object offset of the next byte read. */
  position: number;
  /** Output held back until the shard's checksum is known: never release unverified final bytes. */
  held: Uint8Array | null;
};

/**
 * A pull-based stream of the file's bytes for `slices`: the next object is opened only when the consumer
 * pulls, so a slow client never makes the server buffer, and `cancel()` (client gone) aborts the storage
 * read in flight. Every shard is read whole and checked against its recorded size and sha256 while it
 * streams (a Range that covers part of a shard still reads all of it); the last chunk of a shard is
 * released only after the check, so a missing or corrupt shard ends the response with an error — a
 * failed download — never silently wrong bytes.
 */
export function streamSlices(
  slices: readonly SegmentSlice[],
  openObject: OpenObject,
  /** Awaited before the stream errors, so the problem is on record by the time the client sees the failure. */
  onProblem: (problem: IntegrityProblem) => Promise<void> | void,
): ReadableStream<Uint8Array> {
  let index = 0;
  let current: OpenShard | null = null;

  const fail = async (controller: ReadableStreamDefaultController<Uint8Array>, problem: IntegrityProblem) => {
    await Promise.resolve(onProblem(problem)).catch(() => undefined);
    controller.error(new Error(`Shard ${problem.shardNo}: ${problem.message}`));
  };

  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        for (;;) {
          if (!current) {
            const slice = slices[index];
            if (!slice) {
              controller.close();
              return;
            }
            if (slice.segment.kind === 'literal') {
              index += 1;
              controller.enqueue(slice.segment.bytes.subarray(slice.from, slice.to));
              return;
            }
            const segment = slice.segment;
            const abort = new AbortController();
            const body = await openObject(segment.storageKey, abort.signal);
            if (!body) {
              await fail(controller, {
                shardNo: segment.shardNo,
                kind: 'missing',
                message: 'object missing from storage',
              });
              return;
            }
            current = {
              slice: { ...slice, segment },
              reader: body.getReader(),
              abort,
              hash: createHash('sha256'),
              position: 0,
              held: null,
            };
          }

          const shard = current;
          const { segment } = shard.slice;
          const { done, value } = await shard.reader.read();
          if (done) {
            const size = shard.position;
            const sha256 = shard.hash.digest('hex');
            current = null;
            index += 1;
            if (size !== segment.objectBytes) {
              await fail(controller, {
                shardNo: segment.shardNo,
                kind: 'size_mismatch',
                message: `object is ${size} bytes, the manifest says ${segment.objectBytes}`,
              });
              return;
            }
            if (sha256 !== segment.sha256) {
              await fail(controller, {
                shardNo: segment.shardNo,
                kind: 'checksum_mismatch',
                message: 'object checksum differs from the manifest',
              });
              return;
            }
            if (shard.held) {
              controller.enqueue(shard.held);
              return;
            }
            continue;
          }

          shard.hash.update(value);
          // The part of this chunk inside the slice's window, in object offsets.
          const windowStart = segment.skip + shard.slice.from;
          const windowEnd = segment.skip + shard.slice.to;
          const chunkStart = shard.position;
          shard.position += value.length;
          const from = Math.max(windowStart, chunkStart);
          const to = Math.min(windowEnd, shard.position);
          const out = to > from ? value.subarray(from - chunkStart, to - chunkStart) : null;
          if (out) {
            const release = shard.held;
            shard.held = out;
            if (release) {
              controller.enqueue(release);
              return;
            }
          }
        }
      },
      async cancel() {
        const shard = current;
        current = null;
        if (shard) {
          shard.abort.abort();
          await shard.reader.cancel().catch(() => undefined);
        }
      },
    },
    // Nothing buffered ahead of the consumer: one chunk at a time.
    { highWaterMark: 0 },
  );
}
