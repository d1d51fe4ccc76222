import type { ShardObject } from './download-plan';
import { StorageReadError, type VerifiedShard } from './read-verified-shard';

type ReadShard = (object: ShardObject, signal: AbortSignal) => Promise<VerifiedShard>;

/**
 * Pauses before each new try of a shard storage failed to deliver (a 5xx, a reset connection, a read
 * stuck past its timeout). Reads run ahead of the consumer (6 shards), so a retry usually completes before
 * the client needs the shard: under load, storage hiccups cut 3 of 20 concurrent downloads mid-file, each
 * at a moment one more try would have passed.
 */
export const STORAGE_RETRY_DELAYS_MS = [200, 1_000, 3_000] as const;

/**
 * A shard read that tries again when storage fails to deliver the object. Never on a shard that failed
 * verification (that object is damaged or replaced: retrying cannot help, and the problem is recorded)
 * nor once the download was abandoned. Each retry is logged with its cause.
 */
export function retryStorageReads(
  read: ReadShard,
  log: (message: string) => void,
  delaysMs: readonly number[] = STORAGE_RETRY_DELAYS_MS,
): ReadShard {
  return async (object, signal) => {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await read(object, signal);
      } catch (error) {
        const delay = delaysMs[attempt];
        if (!(error instanceof StorageReadError) || signal.aborted || delay === undefined) throw error;
        log(`${error.message}; trying again in ${delay} ms (${attempt + 1} of ${delaysMs.length})`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          signal.addEventListener(
            'abort',
            () => {
              clearTimeout(timer);
              resolve();
            },
            { once: true },
          );
        });
        if (signal.aborted) throw error;
      }
    }
  };
}
