import { describe, expect, it } from 'vitest';
import type { ShardObject } from './download-plan';
import { ShardIntegrityError, StorageReadError, type VerifiedShard } from './read-verified-shard';
import { retryStorageReads } from './retry-storage-reads';

const object = { shardNo: 7 } as ShardObject;
const bytes: VerifiedShard = [new Uint8Array([1, 2, 3])];

function failingThen(failures: Error[]) {
  let calls = 0;
  const read = () => {
    const failure = failures[calls];
    calls += 1;
    return failure ? Promise.reject(failure) : Promise.resolve(bytes);
  };
  return { read, calls: () => calls };
}

describe('retryStorageReads', () => {
  it('tries a shard storage failed to deliver again, and logs why', async () => {
    const source = failingThen([
      new StorageReadError(7, new Error('503')),
      new StorageReadError(7, new Error('reset')),
    ]);
    const logs: string[] = [];
    const read = retryStorageReads(source.read, (m) => logs.push(m), [0, 0, 0]);
    expect(await read(object, new AbortController().signal)).toBe(bytes);
    expect(source.calls()).toBe(3);
    expect(logs).toEqual([
      'Reading shard 7 from storage failed: 503; trying again in 0 ms (1 of 3)',
      'Reading shard 7 from storage failed: reset; trying again in 0 ms (2 of 3)',
    ]);
  });

  it('gives up after its last try with the storage error', async () => {
    const failure = new StorageReadError(7, new Error('503'));
    const source = failingThen([failure, failure, failure, failure]);
    const read = retryStorageReads(source.read, () => {}, [0, 0, 0]);
    await expect(read(object, new AbortController().signal)).rejects.toBe(failure);
    expect(source.calls()).toBe(4);
  });

  it('never retries a shard that failed verification', async () => {
    const damaged = new ShardIntegrityError({ shardNo: 7, attempt: 1, kind: 'checksum_mismatch', message: 'x' });
    const source = failingThen([damaged]);
    const read = retryStorageReads(source.read, () => {}, [0]);
    await expect(read(object, new AbortController().signal)).rejects.toBe(damaged);
    expect(source.calls()).toBe(1);
  });

  it('stops waiting when the download is abandoned', async () => {
    const source = failingThen([new StorageReadError(7, new Error('503'))]);
    const abort = new AbortController();
    const read = retryStorageReads(source.read, () => {}, [60_000]);
    const pending = read(object, abort.signal);
    abort.abort();
    await expect(pending).rejects.toBeInstanceOf(StorageReadError);
    expect(source.calls()).toBe(1);
  });
});
