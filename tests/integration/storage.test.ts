import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, rm, truncate } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import v8 from 'node:v8';
import vm from 'node:vm';
import { StorageApiError, createClient, type SupabaseClient } from '@supabase/supabase-js';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyCors } from '../../devstack/http/cors';
import { createStorageHandler } from '../../devstack/storage/handler';
import { anonClient, serviceClient, storedSizes } from './clients';
import { localContext } from './local-context';
import { testStack, type TestStack } from './stack-info';

const MB = 1024 * 1024;

/** Deterministic bytes, generated chunk by chunk so the test itself never holds a whole object. */
function patternChunk(index: number, size: number): Uint8Array {
  const chunk = new Uint8Array(size);
  for (let i = 0; i < size; i += 4) {
    const v = (index * 2654435761 + i * 40503) >>> 0;
    chunk[i] = v & 0xff;
    chunk[i + 1] = (v >>> 8) & 0xff;
    chunk[i + 2] = (v >>> 16) & 0xff;
    chunk[i + 3] = (v >>> 24) & 0xff;
  }
  return chunk;
}

function patternStream(
  totalBytes: number,
  chunkBytes: number,
  hash: ReturnType<typeof createHash>,
): ReadableStream<Uint8Array> {
  let index = 0;
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= totalBytes) {
        controller.close();
        return;
      }
      const chunk = patternChunk(index++, Math.min(chunkBytes, totalBytes - sent));
      sent += chunk.length;
      hash.update(chunk);
      controller.enqueue(chunk);
    },
  });
}

/** Buckets come from migrations (as Baton's `exports` bucket does): the devstack has no bucket API. */
async function createBucket(connectionString: string, id: string): Promise<void> {
  const db = new pg.Pool({ connectionString, max: 1 });
  try {
    await db.query('insert into storage.buckets (id, name) values ($1, $1)', [id]);
  } finally {
    await db.end();
  }
}

function clientFor(url: string, key: string): SupabaseClient {
  return createClient(url, key, {
    auth: { persistSession: false, autoRefreshToken: false },
  });
}

/** A raw request whose path is sent exactly as written (fetch and URL would resolve `..` first). */
function rawRequest(
  base: string,
  method: string,
  rawPath: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; json: unknown }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname, port, method, path: rawPath, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown = text;
        try {
          json = JSON.parse(text);
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode ?? 0, json });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * A forced full GC, so memory samples count live (retained) bytes rather than garbage V8 has not yet
 * collected: a streamed transfer churns through ~100 MB of short-lived 64 KB chunks.
 */
function forceGc(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

/** Samples live memory (after a forced GC) while `work` runs; returns the peak growth in MB. */
async function peakLiveGrowth(work: () => Promise<void>): Promise<{ buffers: number; rss: number }> {
  const gc = forceGc();
  gc();
  const before = process.memoryUsage();
  let peakBuffers = 0;
  let peakRss = 0;
  const sample = () => {
    gc();
    const m = process.memoryUsage();
    peakBuffers = Math.max(peakBuffers, m.arrayBuffers - before.arrayBuffers);
    peakRss = Math.max(peakRss, m.rss - before.rss);
  };
  const timer = setInterval(sample, 100);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  sample();
  return { buffers: peakBuffers / MB, rss: peakRss / MB };
}

/**
 * The client half of the 50 MB round trip, run in a child process so the test process holds only the
 * server: supabase-js uploads a generated stream, then streams it back with `download().asStream()`.
 */
const ROUND_TRIP_CLIENT = `
import { createHash } from 'node:crypto';
import { createClient } from '@supabase/supabase-js';
const [url, key, bucket, path, total] = process.argv.slice(1);
const size = Number(total);
const client = createClient(url, key, { auth: { persistSession: false, autoRefreshToken: false } });
const sent = createHash('sha256');
let index = 0, produced = 0;
const body = new ReadableStream({
  pull(controller) {
    if (produced >= size) return controller.close();
    const chunk = new Uint8Array(Math.min(65536, size - produced));
    for (let i = 0; i < chunk.length; i++) chunk[i] = (index * 31 + i * 7) & 0xff;
    index++; produced += chunk.length; sent.update(chunk); controller.enqueue(chunk);
  },
});
const up = await client.storage.from(bucket).upload(path, body, { contentType: 'application/octet-stream' });
if (up.error) throw up.error;
const { data, error } = await client.storage.from(bucket).download(path).asStream();
if (error) throw error;
const received = createHash('sha256');
let bytes = 0;
for await (const chunk of data) { bytes += chunk.length; received.update(chunk); }
console.log(JSON.stringify({ sent: sent.digest('hex'), received: received.digest('hex'), bytes }));
process.exit(0);
`;

function runRoundTripClient(args: string[]): Promise<{ sent: string; received: string; bytes: number }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--input-type=module', '--no-warnings', '-e', ROUND_TRIP_CLIENT, ...args],
      { cwd: path.resolve(import.meta.dirname, '../..'), maxBuffer: 1024 * 1024, timeout: 90_000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${error.message}\n${stderr}`));
        else
          resolve(
            JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { sent: string; received: string; bytes: number },
          );
      },
    );
  });
}

/** Just the storage handler on its own HTTP server, in this process, so its memory can be measured. */
async function startLocalStorage(stack: TestStack, maxObjectBytes?: number) {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'baton-storage-'));
  const db = new pg.Pool({ connectionString: stack.pgConnectionString, max: 5 });
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const ctx = await localContext({ db, apiUrl, config: { dataDir } });
  const handler = createStorageHandler(ctx, maxObjectBytes === undefined ? {} : { maxObjectBytes });
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', apiUrl);
    if (applyCors(req, res)) return;
    handler(req, res, url.pathname.slice('/storage/v1'.length) || '/', url).catch((error: unknown) => {
      console.error(error);
      res.destroy();
    });
  });
  return {
    apiUrl,
    dataDir,
    client: clientFor(apiUrl, stack.secretKey),
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await db.end();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

describe('storage API through storage-js', () => {
  const stack = testStack();
  const service = serviceClient();
  const anon = anonClient();
  const bucket = `exports-${Date.now().toString(36)}`;
  const auth = { apikey: stack.secretKey, Authorization: `Bearer ${stack.secretKey}` };
  const objectUrl = (key: string) => `${stack.apiUrl}/storage/v1/object/${bucket}/${key}`;

  beforeAll(async () => {
    await createBucket(stack.pgConnectionString, bucket);
  });

  afterAll(async () => {
    await fetch(`${stack.apiUrl}/_devstack/faults`, { method: 'DELETE' });
  });

  it('round-trips an object with the stored content type and download headers', async () => {
    const csv = 'id,name\n1,Ada\n2,Grace\n';
    const up = await service.storage
      .from(bucket)
      .upload('jobs/j1/shard-0001.csv', Buffer.from(csv), { contentType: 'text/csv' });
    expect(up.error).toBeNull();
    expect(up.data).toMatchObject({ path: 'jobs/j1/shard-0001.csv', fullPath: `${bucket}/jobs/j1/shard-0001.csv` });
    expect(up.data!.id).toMatch(/^[0-9a-f-]{36}$/);

    const { data: stream, error } = await service.storage.from(bucket).download('jobs/j1/shard-0001.csv').asStream();
    expect(error).toBeNull();
    const chunks: Buffer[] = [];
    for await (const c of Readable.fromWeb(stream as NodeReadableStream<Uint8Array>)) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe(csv);

    const res = await fetch(objectUrl('jobs/j1/shard-0001.csv'), { headers: auth });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv');
    expect(res.headers.get('content-length')).toBe(String(csv.length));
    expect(res.headers.get('etag')).toBe(`"${createHash('md5').update(csv).digest('hex')}"`);
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('cache-control')).toBe('max-age=3600');
    expect(Date.parse(res.headers.get('last-modified')!)).toBeGreaterThan(Date.now() - 60_000);
    await res.arrayBuffer();

    const blob = await service.storage.from(bucket).download('jobs/j1/shard-0001.csv');
    expect(await blob.data!.text()).toBe(csv);
  });

  it('refuses an existing key without upsert (Duplicate) and replaces it with upsert', async () => {
    const files = service.storage.from(bucket);
    expect((await files.upload('dup.txt', 'one')).error).toBeNull();
    const dup = await files.upload('dup.txt', 'two');
    expect(dup.error).toBeInstanceOf(StorageApiError);
    expect(dup.error).toMatchObject({
      status: 400,
      statusCode: '409',
      code: 'KeyAlreadyExists',
      message: 'The resource already exists',
    });
    expect(await (await files.download('dup.txt')).data!.text()).toBe('one');

    const firstId = (await files.info('dup.txt')).data!.id;
    expect((await files.upload('dup.txt', 'three', { upsert: true })).error).toBeNull();
    expect(await (await files.download('dup.txt')).data!.text()).toBe('three');
    expect((await files.info('dup.txt')).data!.id).toBe(firstId);

    // A large doomed body is refused up front, and the client still gets the Storage error.
    const big = await files.upload('dup.txt', Buffer.alloc(8 * MB, 1));
    expect(big.error).toMatchObject({ statusCode: '409', code: 'KeyAlreadyExists' });
  });

  it('lets exactly one of racing creates win, and never serves a torn object while it is replaced', async () => {
    const files = service.storage.from(bucket);
    const racers = await Promise.all(
      Array.from({ length: 6 }, (_, i) => files.upload('race/one.txt', Buffer.alloc(256 * 1024, 65 + i))),
    );
    expect(racers.filter((r) => r.error === null)).toHaveLength(1);
    const losers = racers.filter((r) => r.error instanceof StorageApiError && r.error.code === 'KeyAlreadyExists');
    expect(losers).toHaveLength(5);

    // Each version is one repeated byte; a reader racing upserts must see one whole version, never a mix.
    const writes = Array.from({ length: 6 }, (_, i) =>
      files.upload('race/one.txt', Buffer.alloc(256 * 1024, 97 + i), { upsert: true }),
    );
    const reads = Array.from({ length: 6 }, async () => {
      const res = await fetch(objectUrl('race/one.txt'), { headers: auth });
      const bytes = Buffer.from(await res.arrayBuffer());
      expect(bytes.length).toBe(256 * 1024);
      expect(bytes.every((b) => b === bytes[0])).toBe(true);
      expect(res.headers.get('etag')).toBe(`"${createHash('md5').update(bytes).digest('hex')}"`);
    });
    const results = await Promise.all([...writes, ...reads]);
    expect(results.slice(0, 6).every((r) => r !== undefined && r.error === null)).toBe(true);
  });

  it('answers info() and exists() (NoSuchKey for a missing object), and removes by key', async () => {
    const files = service.storage.from(bucket);
    await files.upload('info/one.csv', 'a,b\n', { contentType: 'text/csv' });
    const info = await files.info('info/one.csv');
    expect(info.error).toBeNull();
    expect(info.data).toMatchObject({ name: 'info/one.csv', bucketId: bucket, size: 4, contentType: 'text/csv' });
    expect(info.data!.etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect((await files.exists('info/one.csv')).data).toBe(true);
    const missing = await files.exists('info/none.csv');
    expect(missing.data).toBe(false);
    expect(missing.error).toMatchObject({
      status: 400,
      statusCode: '404',
      code: 'NoSuchKey',
      message: 'Object not found',
    });

    await files.upload('info/two.csv', 'c,d\n');
    const removed = await files.remove(['info/one.csv', 'info/two.csv', 'info/not-there.csv']);
    expect(removed.error).toBeNull();
    expect(removed.data!.map((r) => r.name).sort()).toEqual(['info/one.csv', 'info/two.csv']);
    expect((await files.exists('info/one.csv')).data).toBe(false);
  });

  it('serves byte ranges as RFC 9110 says: 206, 416 with the size, and the whole object for an invalid range', async () => {
    const body = '0123456789abcdefghij';
    await service.storage.from(bucket).upload('range.txt', body);
    const get = async (range: string) => {
      const res = await fetch(objectUrl('range.txt'), { headers: { ...auth, Range: range } });
      return { status: res.status, contentRange: res.headers.get('content-range'), text: await res.text() };
    };
    expect(await get('bytes=5-9')).toEqual({ status: 206, contentRange: 'bytes 5-9/20', text: '56789' });
    expect(await get('bytes=15-')).toMatchObject({ status: 206, text: 'fghij' });
    expect(await get('bytes=-3')).toMatchObject({ status: 206, contentRange: 'bytes 17-19/20', text: 'hij' });
    expect(await get('bytes=18-99')).toMatchObject({ status: 206, contentRange: 'bytes 18-19/20', text: 'ij' });
    const beyond = await get('bytes=20-30');
    expect(beyond).toMatchObject({ status: 416, contentRange: 'bytes */20' });
    expect(JSON.parse(beyond.text)).toMatchObject({ statusCode: '416', code: 'InvalidRange' });
    // An invalid ranges-specifier is ignored: the whole object with 200 (RFC 9110 §14.1.2, §14.2).
    for (const invalid of ['bytes=5-3', 'bytes=a-b', 'items=0-1', 'bytes=0-1,4-5']) {
      expect({ invalid, ...(await get(invalid)) }).toEqual({ invalid, status: 200, contentRange: null, text: body });
    }
  });

  it("tells the backend's length from a one-byte read, where info() only repeats the row (lost and cut-short files)", async () => {
    const files = service.storage.from(bucket);
    const storedSize = storedSizes();
    const onDisk = async (key: string) => {
      const { data } = await files.info(key);
      return path.join(stack.dataDir, 'storage', 'objects', data!.version!.slice(0, 2), data!.version!);
    };
    for (const key of ['probe/whole.csv', 'probe/lost.csv', 'probe/cut.csv', 'probe/a b+ü.csv']) {
      expect((await files.upload(key, '0123456789', { contentType: 'text/csv' })).error).toBeNull();
    }
    await files.upload('probe/empty.csv', '');
    await rm(await onDisk('probe/lost.csv'));
    await truncate(await onDisk('probe/cut.csv'), 4);

    expect(await storedSize(bucket, 'probe/whole.csv')).toEqual({ bytes: 10 });
    expect(await storedSize(bucket, 'probe/a b+ü.csv')).toEqual({ bytes: 10 });
    expect(await storedSize(bucket, 'probe/empty.csv')).toEqual({ bytes: 0 });
    expect(await storedSize(bucket, 'probe/never.csv')).toBe('missing');
    expect(await storedSize(bucket, 'probe/lost.csv')).toBe('missing');
    expect(await storedSize(bucket, 'probe/cut.csv')).toEqual({ bytes: 4 });
    // What info() says of the same two: the sizes their rows recorded at upload.
    expect((await files.info('probe/lost.csv')).data?.size).toBe(10);
    expect((await files.info('probe/cut.csv')).data?.size).toBe(10);
  });

  it('lists one folder level by name, as the worker lists a lane folder to remove unreferenced objects', async () => {
    const files = service.storage.from(bucket);
    for (const key of [
      'lane-1/shard-000002.g1.csv',
      'lane-1/shard-000001.g2.csv',
      'lane-1/deeper/x.csv',
      'lane-2/a.csv',
    ]) {
      expect((await files.upload(key, 'x')).error).toBeNull();
    }
    const { data, error } = await files.list('lane-1', { limit: 1000 });
    expect(error).toBeNull();
    expect(data?.map((e) => [e.name, e.id === null])).toEqual([
      ['deeper', true],
      ['shard-000001.g2.csv', false],
      ['shard-000002.g1.csv', false],
    ]);
    expect((await files.list('lane-1', { limit: 1, offset: 2 })).data?.map((e) => e.name)).toEqual([
      'shard-000002.g1.csv',
    ]);
    // Without storage policies, nobody but the service role sees anything.
    expect((await anon.storage.from(bucket).list('lane-1')).data).toEqual([]);
  });

  it('refuses what it does not implement, the way Storage refuses an unknown route', async () => {
    const files = service.storage.from(bucket);
    await files.upload('kept.txt', 'kept');
    const unknownRoute = { status: 400, statusCode: '404', code: 'InvalidRequest' };
    expect((await service.storage.createBucket(`nope-${Date.now()}`)).error).toMatchObject(unknownRoute);
    expect((await service.storage.listBuckets()).error).toMatchObject(unknownRoute);
    expect((await files.createSignedUrl('kept.txt', 60)).error).toMatchObject(unknownRoute);
    expect((await files.update('kept.txt', 'changed')).error).toMatchObject(unknownRoute);
    expect((await files.move('kept.txt', 'moved.txt')).error).toMatchObject(unknownRoute);
    // Uploads storage-js would send as a form, or with user metadata, are refused rather than stored wrongly.
    expect((await files.upload('blob.txt', new Blob(['x']))).error).toMatchObject({
      status: 501,
      code: 'NotImplemented',
    });
    expect((await files.upload('meta.txt', 'x', { metadata: { a: 1 } })).error).toMatchObject({ status: 501 });
    expect((await files.exists('blob.txt')).data).toBe(false);
    expect(await (await files.download('kept.txt')).data!.text()).toBe('kept');
  });

  it('refuses keys that try to leave the bucket, however they are encoded', async () => {
    const headers = { ...auth, 'content-type': 'text/plain' };
    const attempts = [
      `..%2F..%2F..%2Fescape.txt`,
      `a/../../../escape.txt`,
      `a/%2e%2e/%2e%2e/escape.txt`,
      `%2e%2e%2fescape.txt`,
      `a%5C..%5C..%5Cescape.txt`,
      `a%00b.txt`,
      `%2Fetc%2Fpasswd`,
      `/etc/passwd`,
      `a//b.txt`,
      `.`,
      `bad%zzescape`,
    ];
    for (const key of attempts) {
      for (const method of ['POST', 'GET']) {
        const res = await rawRequest(
          stack.apiUrl,
          method,
          `/storage/v1/object/${bucket}/${key}`,
          headers,
          method === 'POST' ? 'pwned' : undefined,
        );
        expect({ key, method, status: res.status }).toEqual({ key, method, status: 400 });
        expect(res.json).toMatchObject({ statusCode: '400', code: 'InvalidKey' });
      }
    }
    const listed = await readdir(stack.dataDir, { recursive: true });
    expect(listed.filter((f) => f.toString().includes('escape'))).toEqual([]);
  });

  it('keeps a bucket private from anon callers (no storage policies, as in a hosted project)', async () => {
    await service.storage.from(bucket).upload('secret.csv', 'top secret');
    const files = anon.storage.from(bucket);
    const read = await files.download('secret.csv');
    expect(read.data).toBeNull();
    expect(read.error).toMatchObject({ status: 400, statusCode: '404', code: 'NoSuchKey' });
    expect((await files.exists('secret.csv')).data).toBe(false);
    const write = await files.upload('planted.csv', 'x');
    expect(write.error).toMatchObject({
      status: 400,
      statusCode: '403',
      code: 'AccessDenied',
      message: 'new row violates row-level security policy',
    });
    expect((await files.remove(['secret.csv'])).data).toEqual([]);
    expect((await service.storage.from(bucket).exists('secret.csv')).data).toBe(true);

    const badJwt = await fetch(objectUrl('secret.csv'), {
      headers: { apikey: stack.publishableKey, Authorization: 'Bearer not-a-jwt' },
    });
    expect(badJwt.status).toBe(400);
    expect(await badJwt.json()).toMatchObject({ statusCode: '400', code: 'InvalidJWT' });
  });

  it('injects 503s and held requests through the devstack fault controls, and counts reads server-side', async () => {
    const faults = `${stack.apiUrl}/_devstack/faults`;
    const reads = async () =>
      (await fetch(`${stack.apiUrl}/_devstack/storage/reads?match=${bucket}/fault.txt`)).json() as Promise<{
        started: number;
        inFlight: number;
        completed: number;
        aborted: number;
        bytes: number;
      }>;
    await service.storage.from(bucket).upload('fault.txt', 'ok', { upsert: true });
    await fetch(faults, { method: 'PUT', body: JSON.stringify({ storage: { failNext: 1 } }) });
    const failed = await service.storage.from(bucket).download('fault.txt');
    expect(failed.error).toMatchObject({ status: 503 });
    expect(await (await service.storage.from(bucket).download('fault.txt')).data!.text()).toBe('ok');
    expect(await reads()).toEqual({ started: 2, inFlight: 0, completed: 2, aborted: 0, bytes: 2 });

    // A held request: the server has it and never answers; the client gives up and the server sees it go.
    await fetch(faults, { method: 'PUT', body: JSON.stringify({ storage: { timeoutRate: 1, match: 'fault.txt' } }) });
    const client = new AbortController();
    const held = fetch(objectUrl('fault.txt'), { headers: auth, signal: client.signal }).then(
      () => 'answered',
      (error: Error) => error.name,
    );
    await expect.poll(async () => (await reads()).inFlight).toBe(1);
    client.abort();
    expect(await held).toBe('AbortError');
    await expect.poll(reads).toEqual({ started: 3, inFlight: 0, completed: 2, aborted: 1, bytes: 2 });
    await fetch(faults, { method: 'DELETE' });
  });
});

describe('storage handler in-process: streaming and limits', () => {
  const stack = testStack();

  it('round-trips 50 MB through storage-js while server memory stays flat', async () => {
    const local = await startLocalStorage(stack);
    try {
      const bucket = `mem-${Date.now().toString(36)}`;
      await createBucket(stack.pgConnectionString, bucket);
      // Warm-up so one-off allocations (JIT, pools, first connection) are not counted as growth.
      await runRoundTripClient([local.apiUrl, stack.secretKey, bucket, 'warmup.bin', String(2 * MB)]);

      const size = 50 * MB;
      let result = { sent: '', received: '', bytes: 0 };
      const server = await peakLiveGrowth(async () => {
        result = await runRoundTripClient([local.apiUrl, stack.secretKey, bucket, 'big/shard.bin', String(size)]);
      });
      expect(result.bytes).toBe(size);
      expect(result.received).toBe(result.sent);
      const info = await local.client.storage.from(bucket).info('big/shard.bin');
      expect(info.data).toMatchObject({ size, contentType: 'application/octet-stream' });

      // Control: the same meter does see 50 MB held in this process (storage-js `download()` buffers a Blob).
      let held: Blob | null = null;
      const buffered = await peakLiveGrowth(async () => {
        held = (await local.client.storage.from(bucket).download('big/shard.bin')).data;
      });
      expect((held as Blob | null)?.size).toBe(size);
      held = null;

      console.log(
        `50 MB round trip, server peak live growth: arrayBuffers +${server.buffers.toFixed(1)} MB, rss +${server.rss.toFixed(1)} MB ` +
          `(control, buffered in-process download: arrayBuffers +${buffered.buffers.toFixed(1)} MB)`,
      );
      expect(buffered.buffers).toBeGreaterThan(45);
      expect(server.buffers).toBeLessThan(25);
      expect(server.rss).toBeLessThan(40);
    } finally {
      await local.stop();
    }
  });

  it('refuses objects over the size cap with EntityTooLarge, declared or streamed, and keeps nothing', async () => {
    const local = await startLocalStorage(stack, 1 * MB);
    try {
      const bucket = `cap-${Date.now().toString(36)}`;
      await createBucket(stack.pgConnectionString, bucket);
      const files = local.client.storage.from(bucket);
      const declared = await files.upload('big.bin', Buffer.alloc(3 * MB, 7));
      expect(declared.error).toMatchObject({ status: 400, statusCode: '413', code: 'EntityTooLarge' });
      const streamed = await files.upload('big.bin', patternStream(3 * MB, 64 * 1024, createHash('sha256')));
      expect(streamed.error).toMatchObject({ status: 400, statusCode: '413', code: 'EntityTooLarge' });
      expect((await files.exists('big.bin')).data).toBe(false);
      expect((await files.upload('small.bin', Buffer.alloc(MB, 1))).error).toBeNull();
      const stored = await readdir(path.join(local.dataDir, 'storage'), { recursive: true, withFileTypes: true });
      expect(stored.filter((e) => e.isFile())).toHaveLength(1);
    } finally {
      await local.stop();
    }
  });
});
