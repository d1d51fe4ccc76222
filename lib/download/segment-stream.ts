import { ShardIntegrityError, type IntegrityProblem, type VerifiedShard } from './read-verified-shard';
import type { ShardReadAhead } from './shard-read-ahead';
import type { SegmentSlice } from './slice-segments';

/**
 * Reads for the shards of `slices`, in order: the download route builds one over
 * `shardsOf(slices)` and hands it to `openSegmentStream`.
 */
export function shardsOf(slices: readonly SegmentSlice[]) {
  return slices.flatMap((s) => (s.segment.kind === 'shard' ? [s.segment.object] : []));
}

/** Views of a shard's bytes [from, to) across its chunks (no copy). */
function window(shard: VerifiedShard, from: number, to: number): Uint8Array[] {
  const views: Uint8Array[] = [];
  let offset = 0;
  for (const chunk of shard) {
    const start = Math.max(from - offset, 0);
    const end = Math.min(to - offset, chunk.length);
    if (end > start) views.push(chunk.subarray(start, end));
    offset += chunk.length;
    if (offset >= to) break;
  }
  return views;
}

/**
 * The file's bytes for `slices` as a pull-based stream of verified shards. It resolves only once the
 * first shard is read and verified, so a missing or damaged first shard is an error the route can answer
 * with a status and a message before any byte is sent; it rejects with that shard's ShardIntegrityError
 * (after `onProblem` has recorded it) or a StorageReadError.
 *
 * After that, every shard is verified whole before any of its bytes are enqueued. A later shard that
 * fails errors the stream: the response ends short (the client resumes with Range once it is repaired),
 * never with a wrong byte. The reads run ahead of the consumer within `reads`' window; cancelling the
 * stream (the client went away) aborts them.
 */
export async function openSegmentStream(
  slices: readonly SegmentSlice[],
  reads: ShardReadAhead,
  /** Awaited before the failure surfaces, so the problem is on record by the time the client sees it. */
  onProblem: (problem: IntegrityProblem) => Promise<void>,
  /** A response cut short after it started (a later shard could not be read or verified): said, with why. */
  onCut: (error: unknown) => void = () => {},
): Promise<ReadableStream<Uint8Array>> {
  const report = async (error: unknown) => {
    reads.close();
    if (error instanceof ShardIntegrityError) await onProblem(error.problem);
  };
  try {
    await reads.ready();
  } catch (error) {
    await report(error);
    throw error;
  }

  let index = 0;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const slice = slices[index];
        if (!slice) {
          controller.close();
          return;
        }
        index += 1;
        if (slice.segment.kind === 'literal') {
          controller.enqueue(slice.segment.bytes.subarray(slice.from, slice.to));
          return;
        }
        try {
          const shard = await reads.next();
          const { skip } = slice.segment;
          for (const bytes of window(shard, skip + slice.from, skip + slice.to)) controller.enqueue(bytes);
        } catch (error) {
          await report(error);
          onCut(error);
          controller.error(error);
        }
      },
      cancel() {
        reads.close();
      },
    },
    // Nothing is queued ahead of the consumer: the read-ahead window is the only buffer.
    { highWaterMark: 0 },
  );
}
