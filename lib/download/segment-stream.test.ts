import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sliceSegments } from './byte-range';
import type { Segment } from './download-plan';
import { streamSlices, type IntegrityProblem } from './segment-stream';

const enc = new TextEncoder();
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** An object store whose reads are counted and which serves each object in small chunks. */
function fakeStore(objects: Record<string, Uint8Array>) {
  const opened: string[] = [];
  const aborted: string[] = [];
  return {
    opened,
    aborted,
    open: async (key: string, signal: AbortSignal) => {
      const bytes = objects[key];
      if (!bytes) return null;
      opened.push(key);
      signal.addEventListener('abort', () => aborted.push(key));
      let offset = 0;
      return new ReadableStream<Uint8Array>({
        pull(controller) {
          if (offset >= bytes.length) return controller.close();
          controller.enqueue(bytes.subarray(offset, offset + 3));
          offset += 3;
        },
      });
    },
  };
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
  return new Response(stream).text();
}

const a = enc.encode('h,x\r\n1,a\r\n');
const b = enc.encode('h,x\r\n2,b\r\n');
const segments: Segment[] = [
  { kind: 'shard', shardNo: 1, storageKey: 'a', sha256: sha(a), objectBytes: a.length, skip: 0 },
  { kind: 'shard', shardNo: 2, storageKey: 'b', sha256: sha(b), objectBytes: b.length, skip: 5 },
];

describe('streamSlices', () => {
  it('streams the shards in order, dropping the later headers', async () => {
    const store = fakeStore({ a, b });
    const text = await readAll(streamSlices(sliceSegments(segments, { start: 0, end: 14 }), store.open, () => {}));
    expect(text).toBe('h,x\r\n1,a\r\n2,b\r\n');
  });

  it('opens the next shard only when the consumer pulls', async () => {
    const store = fakeStore({ a, b });
    const reader = streamSlices(sliceSegments(segments, { start: 0, end: 14 }), store.open, () => {}).getReader();
    await reader.read();
    expect(store.opened).toEqual(['a']);
    await reader.cancel();
    expect(store.aborted).toEqual(['a']);
  });

  it('fails the stream, and reports it, when a shard is corrupt — the bad shard’s last bytes never go out', async () => {
    const store = fakeStore({ a, b: enc.encode('h,x\r\n2,X\r\n') });
    const problems: IntegrityProblem[] = [];
    const reader = streamSlices(sliceSegments(segments, { start: 0, end: 14 }), store.open, (p) => {
      problems.push(p);
    }).getReader();
    let received = '';
    await expect(
      (async () => {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          received += new TextDecoder().decode(value);
        }
      })(),
    ).rejects.toThrow(/checksum/);
    expect(problems).toEqual([{ shardNo: 2, kind: 'checksum_mismatch', message: expect.any(String) }]);
    expect(received.endsWith('X\r\n')).toBe(false);
  });

  it('fails when a shard object is missing', async () => {
    const store = fakeStore({ a });
    const problems: IntegrityProblem[] = [];
    await expect(
      readAll(streamSlices(sliceSegments(segments, { start: 0, end: 14 }), store.open, (p) => void problems.push(p))),
    ).rejects.toThrow(/missing/);
    expect(problems.map((p) => p.kind)).toEqual(['missing']);
  });
});
