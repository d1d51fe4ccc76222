import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Segment, ShardObject } from './download-plan';
import {
  readVerifiedShard,
  ShardIntegrityError,
  StorageReadError,
  type IntegrityProblem,
  type OpenObject,
} from './read-verified-shard';
import { openSegmentStream, shardsOf } from './segment-stream';
import { ShardReadAhead, type ReadAheadLimits } from './shard-read-ahead';
import { sliceSegments } from './slice-segments';

const enc = new TextEncoder();
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** An object store serving each object in 3-byte chunks, counting opens, finished reads and aborts. */
function fakeStore(objects: Record<string, Uint8Array>) {
  const stats = { opened: [] as string[], finished: [] as string[], aborted: [] as string[] };
  const open: OpenObject = async (key, signal) => {
    const bytes = objects[key];
    if (!bytes) return 'missing';
    stats.opened.push(key);
    signal.addEventListener('abort', () => stats.aborted.push(key));
    let offset = 0;
    return new ReadableStream<Uint8Array>({
      pull(controller) {
        if (offset >= bytes.length) {
          stats.finished.push(key);
          controller.close();
          return;
        }
        controller.enqueue(bytes.subarray(offset, offset + 3));
        offset += 3;
      },
    });
  };
  return { stats, open };
}

/** A CSV file of `count` shards, each `h,x\r\n` + one row; the header is kept only in the first. */
function csvShards(count: number) {
  const objects: Record<string, Uint8Array> = {};
  const segments: Segment[] = [];
  let expected = '';
  for (let n = 1; n <= count; n += 1) {
    const text = `h,x\r\n${n},${'v'.repeat(n)}\r\n`;
    const bytes = enc.encode(text);
    objects[`s${n}`] = bytes;
    const object: ShardObject = {
      shardNo: n,
      storageKey: `s${n}`,
      bytes: bytes.length,
      sha256: sha(bytes),
      generation: 1,
      attempt: 1,
    };
    segments.push({ kind: 'shard', object, skip: n === 1 ? 0 : 5 });
    expected += n === 1 ? text : text.slice(5);
  }
  return { objects, segments, expected };
}

function openFile(
  segments: Segment[],
  store: ReturnType<typeof fakeStore>,
  range: { start: number; end: number },
  limits: ReadAheadLimits = { shards: 2, bytes: 1024 },
) {
  const problems: IntegrityProblem[] = [];
  const slices = sliceSegments(segments, range);
  const reads = new ShardReadAhead(shardsOf(slices), (o, signal) => readVerifiedShard(o, store.open, signal), limits);
  const opened = openSegmentStream(slices, reads, async (p) => void problems.push(p));
  return { opened, problems };
}

/** Reads what the stream delivers before it ends or fails. */
async function drain(stream: ReadableStream<Uint8Array>): Promise<{ text: string; error: unknown }> {
  const reader = stream.getReader();
  let text = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { text, error: null };
      text += new TextDecoder().decode(value);
    }
  } catch (error) {
    return { text, error };
  }
}

describe('readVerifiedShard', () => {
  const good = enc.encode('h,x\r\n1,a\r\n');
  const object: ShardObject = {
    shardNo: 7,
    storageKey: 'k',
    bytes: good.length,
    sha256: sha(good),
    generation: 2,
    attempt: 3,
  };
  const read = (bytes: Uint8Array | undefined) =>
    readVerifiedShard(object, fakeStore(bytes ? { k: bytes } : {}).open, new AbortController().signal);

  it('returns the bytes only when size and sha256 match the manifest', async () => {
    expect(Buffer.concat(await read(good)).toString()).toBe('h,x\r\n1,a\r\n');
  });

  it.each([
    ['missing', undefined, /missing/],
    ['size_mismatch', enc.encode('h,x\r\n'), /is 5 bytes, the manifest says 10/],
    ['size_mismatch', enc.encode('h,x\r\n1,a\r\n2,b\r\n'), /larger than the 10 bytes/],
    ['checksum_mismatch', enc.encode('h,x\r\n1,b\r\n'), /checksum/],
  ] as const)('refuses a %s object', async (kind, bytes, message) => {
    const error = await read(bytes).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShardIntegrityError);
    expect((error as ShardIntegrityError).problem).toMatchObject({
      shardNo: 7,
      kind,
      message: expect.stringMatching(message),
    });
  });

  it('reports a storage failure as such, not as a problem of the shard', async () => {
    const failing: OpenObject = () => Promise.reject(new Error('503 SlowDown'));
    const error = await readVerifiedShard(object, failing, new AbortController().signal).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageReadError);
    expect((error as Error).message).toMatch(/shard 7.*503 SlowDown/);
  });
});

describe('ShardReadAhead', () => {
  it('keeps at most the window in flight, and reads no further while the consumer does not take', async () => {
    const { objects, segments } = csvShards(10);
    const store = fakeStore(objects);
    const reads = new ShardReadAhead(
      shardsOf(sliceSegments(segments, { start: 0, end: 10_000 })),
      (o, signal) => readVerifiedShard(o, store.open, signal),
      { shards: 3, bytes: 1024 },
    );
    await reads.ready();
    await reads.next();
    await reads.next();
    // Two taken, three more in the window: shards 1–5 opened, not one more until the consumer takes again.
    await expect.poll(() => store.stats.finished.length).toBe(5);
    expect(store.stats.opened).toEqual(['s1', 's2', 's3', 's4', 's5']);
    reads.close();
  });

  it('bounds the window by bytes too, always allowing one shard', async () => {
    const { objects, segments } = csvShards(4);
    const store = fakeStore(objects);
    const shards = shardsOf(sliceSegments(segments, { start: 0, end: 10_000 }));
    const reads = new ShardReadAhead(shards, (o, signal) => readVerifiedShard(o, store.open, signal), {
      shards: 10,
      bytes: 1,
    });
    await reads.ready();
    expect(store.stats.opened).toEqual(['s1']);
    reads.close();
  });

  it('reads the first shard alone, then fills the window, and aborts the reads in flight on close', async () => {
    const { objects, segments } = csvShards(4);
    const store = fakeStore({ s1: objects.s1! });
    // Shard 1 is served; every other read hangs until it is aborted.
    const open: OpenObject = (key, signal) =>
      key === 's1'
        ? store.open(key, signal)
        : new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error)));
    const started: number[] = [];
    const aborted: number[] = [];
    const reads = new ShardReadAhead(
      shardsOf(sliceSegments(segments, { start: 0, end: 10_000 })),
      (o, signal) => {
        started.push(o.shardNo);
        signal.addEventListener('abort', () => aborted.push(o.shardNo));
        return readVerifiedShard(o, open, signal);
      },
      { shards: 3, bytes: 1024 },
    );
    const ready = reads.ready();
    expect(started).toEqual([1]);
    await ready;
    expect(started).toEqual([1, 2, 3]);
    reads.close();
    expect(aborted).toEqual([1, 2, 3]);
    await expect(reads.next()).rejects.toThrow();
  });
});

describe('openSegmentStream', () => {
  it('streams the shards in order, dropping the later headers, with a literal prefix', async () => {
    const { objects, segments, expected } = csvShards(5);
    const withBom: Segment[] = [{ kind: 'literal', bytes: new Uint8Array([0xef, 0xbb, 0xbf]) }, ...segments];
    const { opened } = openFile(withBom, fakeStore(objects), { start: 0, end: 10_000 });
    const bytes = new Uint8Array(await new Response(await opened).arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(new TextDecoder().decode(bytes.subarray(3))).toBe(expected);
  });

  it('refuses before sending anything when the first shard of the range is damaged, and records it', async () => {
    const { objects, segments } = csvShards(3);
    objects.s2 = enc.encode(new TextDecoder().decode(objects.s2).replace('v', 'w'));
    // Shard 1 is file bytes 0–9, shard 2 (header stripped) 10–15: this range starts in shard 2.
    const { opened, problems } = openFile(segments, fakeStore(objects), { start: 12, end: 30 });
    await expect(opened).rejects.toBeInstanceOf(ShardIntegrityError);
    expect(problems).toEqual([{ shardNo: 2, attempt: 1, kind: 'checksum_mismatch', message: expect.any(String) }]);
  });

  it('never sends a byte of a damaged shard, whatever the range: the stream ends short instead', async () => {
    const { objects, segments, expected } = csvShards(6);
    // One byte flipped in shard 4's row; the manifest keeps its true checksum.
    const good = objects.s4!;
    const flipped = Uint8Array.from(good);
    flipped[good.length - 3]! ^= 0x01;
    const store = fakeStore({ ...objects, s4: flipped });
    const shard4Start = expected.indexOf('4,vvvv');
    const shard4End = shard4Start + 'vvvv\r\n'.length + 2;
    for (let start = 0; start < expected.length; start += 3) {
      for (const end of [start, start + 7, expected.length - 1]) {
        const range = { start, end: Math.min(end, expected.length - 1) };
        const truth = expected.slice(range.start, range.end + 1);
        const opened = await openFile(segments, store, range).opened.then(drain, (error: unknown) => ({
          text: '',
          error,
        }));
        const touchesShard4 = range.start < shard4End && range.end >= shard4Start;
        if (!touchesShard4) {
          expect(opened).toMatchObject({ text: truth, error: null });
          continue;
        }
        // What was sent is a prefix of the truth that stops before shard 4 (or nothing): not one byte of it.
        expect(opened.error).toBeInstanceOf(ShardIntegrityError);
        expect(truth.startsWith(opened.text)).toBe(true);
        const sentEnd = range.start + opened.text.length;
        expect(opened.text === '' || sentEnd <= shard4Start, JSON.stringify({ range, sentEnd })).toBe(true);
      }
    }
  });

  it('stops and aborts the storage reads when the consumer cancels', async () => {
    const { objects, segments } = csvShards(10);
    const store = fakeStore(objects);
    const { opened } = openFile(segments, store, { start: 0, end: 10_000 }, { shards: 2, bytes: 1024 });
    const reader = (await opened).getReader();
    await reader.read();
    await reader.cancel();
    // The shard handed over plus the window (2): nothing past it was even opened.
    expect(store.stats.opened.length).toBeLessThanOrEqual(3);
    // Whatever was still being read when the consumer left was aborted.
    const unfinished = store.stats.opened.filter((key) => !store.stats.finished.includes(key));
    expect(store.stats.aborted).toEqual(expect.arrayContaining(unfinished));
  });
});
