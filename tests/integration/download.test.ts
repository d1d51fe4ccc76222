import { createHash, randomInt } from 'node:crypto';
import { rm, truncate } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../lib/api/app-error';
import { downloadExport } from '../../lib/download/download-export';
import { DEFAULT_READ_AHEAD } from '../../lib/download/shard-read-ahead';
import { retryExport } from '../../lib/exports/retry-export';
import { startExport } from '../../lib/exports/start-export';
import type { ExportJob } from '../../lib/exports/types';
import { encodeShard } from '../../supabase/functions/_shared/export-format.ts';
import { EXPORTS_BUCKET, shardStorageKey } from '../../supabase/functions/_shared/shard-key.ts';
import { serviceClient, storedSizes } from './clients';
import {
  clearFaults,
  createSource,
  createTenant,
  referenceDigest,
  seedCollection,
  setFaults,
  superuserPool,
  testFields,
  appTypesense,
  waitForJob,
  type Tenant,
} from './export-fixtures';
import { testStack } from './stack-info';

/**
 * GET /api/exports/:id/download, through its domain function (the route only adds auth): exact bytes,
 * ranges, ETag/If-Range, the Excel form, constant memory, integrity (no unverified byte is ever sent),
 * authorisation.
 */
const COLLECTION = 'download_posts';
const PORTAL = 77;
const RECORDS = 5_000;

let db: pg.Pool;
let tenant: Tenant;
let sourceId: string;

const admin = serviceClient();
const deps = (t: Tenant = tenant) => ({
  user: { supabase: t.client, userId: t.userId },
  admin,
  typesense: appTypesense(),
  storedSize: storedSizes(),
});

function request(jobId: string, headers: Record<string, string> = {}, query = ''): Request {
  return new Request(`http://localhost/api/exports/${jobId}/download${query}`, { headers });
}

async function body(res: Response): Promise<Uint8Array> {
  return new Uint8Array(await res.arrayBuffer());
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Reads a response body until it ends or fails: what a client would have on disk. */
async function received(res: Response): Promise<{ bytes: Uint8Array; failed: boolean }> {
  const chunks: Uint8Array[] = [];
  const reader = res.body!.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { bytes: Buffer.concat(chunks), failed: false };
      chunks.push(value);
    }
  } catch {
    return { bytes: Buffer.concat(chunks), failed: true };
  }
}

/** Object reads the devstack's storage served for this job, counted by storage itself. */
async function storageReads(jobId: string) {
  const res = await fetch(`${testStack().apiUrl}/_devstack/storage/reads?match=${jobId}`);
  return (await res.json()) as { started: number; inFlight: number; completed: number; aborted: number; bytes: number };
}

/** Replaces a shard's object with the same bytes but one flipped at `at`: same size, wrong content. */
async function flipByte(jobId: string, shardNo: number, at: number): Promise<void> {
  const { data } = await admin
    .from('export_shards')
    .select('storage_key')
    .eq('job_id', jobId)
    .eq('shard_no', shardNo)
    .single<{ storage_key: string }>();
  const bucket = admin.storage.from(EXPORTS_BUCKET);
  const original = new Uint8Array(await (await bucket.download(data!.storage_key)).data!.arrayBuffer());
  const damaged = Uint8Array.from(original);
  damaged[at]! ^= 0x20;
  const { error } = await bucket.upload(data!.storage_key, damaged, { upsert: true, contentType: 'text/csv' });
  if (error) throw error;
}

/** File offsets [start, end) of each shard's bytes in the downloaded file. */
async function shardExtents(jobId: string): Promise<Array<{ start: number; end: number }>> {
  const { data } = await admin
    .from('export_shards')
    .select('bytes, header_bytes')
    .eq('job_id', jobId)
    .order('shard_no')
    .returns<Array<{ bytes: number; header_bytes: number }>>();
  let offset = 0;
  return data!.map((s, i) => {
    const start = offset;
    offset += i === 0 ? s.bytes : s.bytes - s.header_bytes;
    return { start, end: offset };
  });
}

async function completedExport(format: 'csv' | 'ndjson', filter: string | null = null): Promise<ExportJob> {
  const job = await startExport(deps(), { sourceId, format, fields: testFields, filter });
  return waitForJob(job.id, (j) => j.status === 'completed', { timeoutMs: 120_000, sweep: true });
}

beforeAll(async () => {
  db = superuserPool();
  await seedCollection(COLLECTION, RECORDS, { portalId: PORTAL });
  tenant = await createTenant(db, 'Download agency');
  sourceId = await createSource(db, tenant.organisationId, COLLECTION, `portal_id:=${PORTAL}`);
}, 180_000);

afterAll(() => db.end());

describe('download', () => {
  it.each(['csv', 'ndjson'] as const)(
    'serves the %s export byte-identical to a single-pass encoding',
    async (format) => {
      const job = await completedExport(format);
      const res = await downloadExport(deps(), job.id, request(job.id));
      expect(res.status).toBe(200);
      const bytes = await body(res);
      const reference = await referenceDigest({
        collection: COLLECTION,
        filterBy: `portal_id:=${PORTAL}`,
        fields: testFields,
        format,
      });
      expect(Number(res.headers.get('content-length'))).toBe(reference.bytes);
      expect(bytes.length).toBe(reference.bytes);
      expect(sha(bytes)).toBe(reference.sha256);
      expect(res.headers.get('accept-ranges')).toBe('bytes');
      expect(res.headers.get('content-type')).toBe(
        format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
      );
      expect(res.headers.get('content-disposition')).toMatch(
        new RegExp(`^attachment; filename="download_posts-\\d{4}-\\d{2}-\\d{2}-${job.id.slice(0, 8)}\\.${format}"$`),
      );
      expect(res.headers.get('etag')).toMatch(/^"[0-9a-f]{40}"$/);
    },
    180_000,
  );

  it('reassembles the file from many random byte ranges, including ranges around stripped headers', async () => {
    const job = await completedExport('csv', 'state:=DRAFT');
    const full = await body(await downloadExport(deps(), job.id, request(job.id)));
    const etag = (await downloadExport(deps(), job.id, new Request(`http://x/`, { method: 'HEAD' }))).headers.get(
      'etag',
    )!;
    const { data: shards } = await admin
      .from('export_shards')
      .select('bytes, header_bytes')
      .eq('job_id', job.id)
      .order('lane')
      .order('lane_seq');
    // File offsets where shard n+1 begins: the neighbourhood of each stripped header.
    const boundaries: number[] = [];
    let offset = 0;
    (shards as Array<{ bytes: number; header_bytes: number }>).forEach((s, i) => {
      offset += i === 0 ? s.bytes : s.bytes - s.header_bytes;
      boundaries.push(offset);
    });
    const ranges: Array<[number, number]> = [];
    for (const b of boundaries.slice(0, -1)) ranges.push([b - 3, b + 2], [b, b]);
    for (let i = 0; i < 40; i += 1) {
      const start = randomInt(0, full.length);
      ranges.push([start, Math.min(full.length - 1, start + randomInt(0, 300_000))]);
    }
    for (const [start, end] of ranges) {
      const res = await downloadExport(
        deps(),
        job.id,
        request(job.id, { Range: `bytes=${start}-${end}`, 'If-Range': etag }),
      );
      expect(res.status).toBe(206);
      expect(res.headers.get('content-range')).toBe(`bytes ${start}-${end}/${full.length}`);
      expect(sha(await body(res))).toBe(sha(full.subarray(start, end + 1)));
    }
    // A resume in pieces equals the whole.
    const pieces: Uint8Array[] = [];
    for (let start = 0; start < full.length; start += 777_777) {
      const end = Math.min(full.length - 1, start + 777_776);
      pieces.push(
        await body(await downloadExport(deps(), job.id, request(job.id, { Range: `bytes=${start}-${end}` }))),
      );
    }
    expect(sha(Buffer.concat(pieces))).toBe(sha(full));

    const stale = await downloadExport(deps(), job.id, request(job.id, { Range: 'bytes=0-9', 'If-Range': '"stale"' }));
    expect(stale.status).toBe(200);
    expect((await body(stale)).length).toBe(full.length);

    const beyond = await downloadExport(deps(), job.id, request(job.id, { Range: `bytes=${full.length}-` }));
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${full.length}`);
    // An invalid range (last before first) is ignored, as RFC 9110 says: the whole file.
    const reversed = await downloadExport(deps(), job.id, request(job.id, { Range: 'bytes=5-3' }));
    expect(reversed.status).toBe(200);
    expect(sha(await body(reversed))).toBe(sha(full));
  }, 180_000);

  it('resumes across a repair with the whole new file, never a splice of the two versions', async () => {
    const job = await completedExport('csv', 'state:=SCHEDULED');
    const reference = await referenceDigest({
      collection: COLLECTION,
      filterBy: `portal_id:=${PORTAL} && state:=SCHEDULED`,
      fields: testFields,
      format: 'csv',
    });
    const third = (await shardExtents(job.id))[2]!;
    const { data: shard3 } = await admin
      .from('export_shards')
      .select('header_bytes')
      .eq('job_id', job.id)
      .eq('shard_no', 3)
      .single<{ header_bytes: number }>();
    await flipByte(job.id, 3, shard3!.header_bytes + 50);

    // The first attempt stops before shard 3, with nothing but true bytes on disk.
    const first = await downloadExport(deps(), job.id, request(job.id));
    const etag = first.headers.get('etag')!;
    const partial = await received(first);
    expect(partial.failed).toBe(true);
    expect(partial.bytes.length).toBe(third.start);

    // Support re-runs shard 3: the same records, written again as a new attempt with a new generation.
    await retryExport(deps(), job.id, { shardNos: [3], verify: 'none' });
    await waitForJob(job.id, (j) => j.status === 'completed', { timeoutMs: 120_000, sweep: true });

    // `curl -C -` / a browser resume: If-Range with the old ETag. The validator changed with the shard's
    // identity, so the answer is the whole new file (200), not the rest of it appended to the old copy.
    const resumed = await downloadExport(
      deps(),
      job.id,
      request(job.id, { Range: `bytes=${partial.bytes.length}-`, 'If-Range': etag }),
    );
    expect(resumed.status).toBe(200);
    expect(resumed.headers.get('etag')).not.toBe(etag);
    const whole = await body(resumed);
    expect({ bytes: whole.length, sha256: sha(whole) }).toEqual({ bytes: reference.bytes, sha256: reference.sha256 });
    // With the new ETag the resume is a 206 of the rest, and the pieces make the true file.
    const rest = await downloadExport(
      deps(),
      job.id,
      request(job.id, { Range: `bytes=${partial.bytes.length}-`, 'If-Range': resumed.headers.get('etag')! }),
    );
    expect(rest.status).toBe(206);
    expect(sha(Buffer.concat([partial.bytes, await body(rest)]))).toBe(reference.sha256);
  }, 240_000);

  it('serves the CSV for Excel: one UTF-8 byte-order mark, counted in the length, the ranges and its own ETag', async () => {
    const job = await completedExport('csv', 'state:=PUBLISHED');
    const plain = await downloadExport(deps(), job.id, request(job.id));
    const plainBytes = await body(plain);
    const excel = await downloadExport(deps(), job.id, request(job.id, {}, '?form=excel'));
    expect(excel.status).toBe(200);
    const excelBytes = await body(excel);
    expect(Number(excel.headers.get('content-length'))).toBe(plainBytes.length + 3);
    expect([...excelBytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(sha(excelBytes.subarray(3))).toBe(sha(plainBytes));
    expect(excel.headers.get('content-disposition')).toMatch(/-excel\.csv"$/);
    const excelEtag = excel.headers.get('etag')!;
    expect(excelEtag).not.toBe(plain.headers.get('etag'));

    for (const [start, end] of [
      [0, 2],
      [2, 9],
      [3, 3],
      [1000, 200_000],
      [excelBytes.length - 10, excelBytes.length - 1],
    ] as const) {
      const part = await downloadExport(
        deps(),
        job.id,
        request(job.id, { Range: `bytes=${start}-${end}`, 'If-Range': excelEtag }, '?form=excel'),
      );
      expect(part.status).toBe(206);
      expect(part.headers.get('content-range')).toBe(`bytes ${start}-${end}/${excelBytes.length}`);
      expect(sha(await body(part))).toBe(sha(excelBytes.subarray(start, end + 1)));
    }
    // A partial copy of the plain file cannot be resumed as the Excel one: the whole Excel file.
    const crossed = await downloadExport(
      deps(),
      job.id,
      request(job.id, { Range: 'bytes=10-', 'If-Range': plain.headers.get('etag')! }, '?form=excel'),
    );
    expect(crossed.status).toBe(200);
    expect((await body(crossed)).length).toBe(excelBytes.length);

    const ndjson = await syntheticExport(1, 1000, 'ndjson');
    await expect(downloadExport(deps(), ndjson, request(ndjson, {}, '?form=excel'))).rejects.toMatchObject({
      code: 'unprocessable',
      message: /for CSV exports/,
    });
    await expect(downloadExport(deps(), job.id, request(job.id, {}, '?form=xlsx'))).rejects.toMatchObject({
      name: 'ZodError',
    });
  }, 180_000);
});

describe('compressed download', () => {
  it.each(['csv', 'ndjson'] as const)(
    'serves the %s export as .gz: exact length, gunzip equals the plain download, ranges and If-Range, partial too',
    async (format) => {
      const job = await completedExport(format, 'state:=PUBLISHED');
      expect(job.gzip_bytes_written).not.toBeNull();
      const plain = await body(await downloadExport(deps(), job.id, request(job.id)));
      const res = await downloadExport(deps(), job.id, request(job.id, {}, '?form=gzip'));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/gzip');
      expect(res.headers.get('content-encoding')).toBeNull();
      expect(res.headers.get('content-disposition')).toMatch(new RegExp(`-${job.id.slice(0, 8)}\\.${format}\\.gz"$`));
      const gz = await body(res);
      expect(Number(res.headers.get('content-length'))).toBe(gz.length);
      expect(gz.length).toBe(job.gzip_bytes_written);
      // Several shards, so the file is several members: gunzip reads them all, headers once.
      expect(job.shards_written).toBeGreaterThan(2);
      expect(sha(gunzipSync(gz))).toBe(sha(plain));
      expect(gz.length).toBeLessThanOrEqual(0.25 * plain.length);

      const etag = res.headers.get('etag')!;
      expect(etag).not.toBe(
        (await downloadExport(deps(), job.id, request(job.id, { Range: 'bytes=0-0' }))).headers.get('etag'),
      );
      for (const [start, end] of [
        [0, 9],
        [5, gz.length - 1],
        [randomInt(0, gz.length), gz.length - 1],
        [gz.length - 1, gz.length - 1],
      ] as const) {
        const part = await downloadExport(
          deps(),
          job.id,
          request(job.id, { Range: `bytes=${start}-${end}`, 'If-Range': etag }, '?form=gzip'),
        );
        expect(part.status).toBe(206);
        expect(part.headers.get('content-range')).toBe(`bytes ${start}-${end}/${gz.length}`);
        expect(sha(await body(part))).toBe(sha(gz.subarray(start, end + 1)));
      }
      // A resume in pieces (curl -C -) equals the whole.
      const pieces: Uint8Array[] = [];
      const step = Math.ceil(gz.length / 5);
      for (let start = 0; start < gz.length; start += step) {
        const end = Math.min(gz.length - 1, start + step - 1);
        const part = await downloadExport(
          deps(),
          job.id,
          request(job.id, { Range: `bytes=${start}-${end}`, 'If-Range': etag }, '?form=gzip'),
        );
        pieces.push(await body(part));
      }
      expect(sha(Buffer.concat(pieces))).toBe(sha(gz));
      // A partial plain copy cannot be resumed as the .gz: the whole .gz.
      const crossed = await downloadExport(
        deps(),
        job.id,
        request(job.id, { Range: 'bytes=10-', 'If-Range': '"plain-etag"' }, '?form=gzip'),
      );
      expect(crossed.status).toBe(200);

      // What a cancelled export wrote, in the gzip form too.
      await db.query(`update public.export_jobs set status = 'cancelled' where id = $1`, [job.id]);
      const partial = await downloadExport(deps(), job.id, request(job.id, {}, '?partial=1&form=gzip'));
      expect(partial.headers.get('content-disposition')).toMatch(new RegExp(`-partial\\.${format}\\.gz"$`));
      expect(sha(gunzipSync(await body(partial)))).toBe(sha(plain));
    },
    180_000,
  );

  it('never sends a byte of a damaged shard in the .gz form, and refuses the .gz of shards stored plain', async () => {
    const job = await completedExport('csv', 'state:=SCHEDULED');
    const truth = await body(await downloadExport(deps(), job.id, request(job.id, {}, '?form=gzip')));
    const { data } = await admin
      .from('export_shards')
      .select('gzip_bytes, gzip_header_bytes')
      .eq('job_id', job.id)
      .order('lane')
      .order('lane_seq')
      .returns<Array<{ gzip_bytes: number; gzip_header_bytes: number }>>();
    const thirdStart = data![0]!.gzip_bytes + data![1]!.gzip_bytes - data![1]!.gzip_header_bytes;
    const { data: third } = await admin
      .from('export_shards')
      .select('shard_no')
      .eq('job_id', job.id)
      .order('lane')
      .order('lane_seq')
      .range(2, 2)
      .single<{ shard_no: number }>();
    await flipByte(job.id, third!.shard_no, data![2]!.gzip_header_bytes + 40);
    const res = await downloadExport(deps(), job.id, request(job.id, {}, '?form=gzip'));
    const got = await received(res);
    expect(got.failed).toBe(true);
    expect(got.bytes.length).toBe(thirdStart);
    expect(sha(got.bytes)).toBe(sha(truth.subarray(0, thirdStart)));
    // The plain form verifies the stored object before decompressing it: it stops at the same shard.
    const plainGot = await received(await downloadExport(deps(), job.id, request(job.id)));
    expect(plainGot.failed).toBe(true);

    const legacy = await syntheticExport(2, 1000);
    await expect(downloadExport(deps(), legacy, request(legacy, {}, '?form=gzip'))).rejects.toMatchObject({
      code: 'unprocessable',
      message: /before shards were stored compressed/,
    });
  }, 180_000);
});

/** A completed job with a synthetic manifest of `shardCount` shards of about `shardBytes` each. */
async function syntheticExport(
  shardCount: number,
  shardBytes: number,
  format: 'csv' | 'ndjson' = 'csv',
): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `insert into public.export_jobs (organisation_id, source_id, requested_by, collection, key_field, fields, format,
       estimated_rows, status, tail_complete, finished_at)
     values ($1, $2, $3, $4, 'hs_object_id', '{hs_object_id,body}', $5, 0, 'completed', true, now()) returning id`,
    [tenant.organisationId, sourceId, tenant.userId, COLLECTION, format],
  );
  const jobId = rows[0]!.id;
  const line = 'x'.repeat(shardBytes / 100);
  const writeShard = async (n: number) => {
    const docs = Array.from({ length: 100 }, (_, i) => ({ hs_object_id: n * 1000 + i, body: `${line}` }));
    const shard = encodeShard(docs, { format, fields: ['hs_object_id', 'body'], neutraliseFormulas: true });
    const key = shardStorageKey({
      organisationId: tenant.organisationId,
      jobId,
      lane: 1,
      laneSeq: n,
      generation: 1,
      format,
    });
    const { error } = await admin.storage.from(EXPORTS_BUCKET).upload(key, shard.bytes, { upsert: true });
    if (error) throw error;
    await db.query(
      `insert into public.export_shards (job_id, shard_no, lane_seq, key_after, key_last, rows, bytes, header_bytes, sha256, storage_key, generation, invocation_id)
       values ($1, $2, $2, $3, $4, 100, $5, $6, $7, $8, 1, gen_random_uuid())`,
      [
        jobId,
        n,
        n === 1 ? null : (n - 1) * 1000 + 99,
        n * 1000 + 99,
        shard.bytes.length,
        shard.headerBytes,
        sha(shard.bytes),
        key,
      ],
    );
  };
  // A few shards at a time: a 1,001-shard manifest one by one is half a minute of round trips, and a few
  // 1 MB shards at a time keep this process's memory (measured by the tests below) small.
  const inFlight = 8;
  for (let first = 1; first <= shardCount; first += inFlight) {
    const batch = Array.from({ length: Math.min(inFlight, shardCount - first + 1) }, (_, i) => first + i);
    await Promise.all(batch.map(writeShard));
  }
  return jobId;
}

describe('download at scale', () => {
  it('reads a manifest longer than one PostgREST page (1,000 rows) in file order', async () => {
    const jobId = await syntheticExport(1001, 100);
    const text = new TextDecoder().decode(await body(await downloadExport(deps(), jobId, request(jobId))));
    const ids = text
      .trimEnd()
      .split('\r\n')
      .slice(1)
      .map((line) => Number(line.split(',')[0]));
    expect(ids).toHaveLength(1001 * 100);
    expect(ids.every((id, i) => i === 0 || id > ids[i - 1]!)).toBe(true);
    expect(ids.at(-1)).toBe(1001 * 1000 + 99);
  }, 180_000);

  it('streams a 200 MB export with flat memory', async () => {
    const jobId = await syntheticExport(200, 1_000_000);
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    let received = 0;
    const res = await downloadExport(deps(), jobId, request(jobId));
    const expected = Number(res.headers.get('content-length'));
    expect(expected).toBeGreaterThan(200_000_000);
    const reader = res.body!.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      received += value.length;
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    expect(received).toBe(expected);
    // Generous cap: the whole file would be 200 MB; the stream holds about one chunk.
    expect(peak - before).toBeLessThan(80 * 1024 * 1024);
  }, 300_000);

  it('stops reading storage when the client goes away: storage sees its reads aborted', async () => {
    const jobId = await syntheticExport(20, 1_000_000);
    // Every storage read of this job waits 500 ms before it is served, so the reads running ahead of the
    // consumer are still in flight, on the storage side, when it leaves.
    await setFaults({ storage: { latencyMs: 500, match: `/${jobId}/` } });
    try {
      const res = await downloadExport(deps(), jobId, request(jobId));
      const reader = res.body!.getReader();
      await reader.read();
      await expect.poll(async () => (await storageReads(jobId)).inFlight).toBeGreaterThan(0);
      await reader.cancel();
      await expect.poll(async () => (await storageReads(jobId)).inFlight, { timeout: 10_000 }).toBe(0);
      const reads = await storageReads(jobId);
      // Storage dropped the reads in flight when the download aborted them…
      expect(reads.aborted).toBeGreaterThan(0);
      // …and never served more than the shard taken plus the read-ahead window: not the 20 MB export.
      expect(reads.started).toBeLessThanOrEqual(1 + DEFAULT_READ_AHEAD.shards);
      expect(reads.bytes).toBeLessThanOrEqual((1 + DEFAULT_READ_AHEAD.shards) * 1_100_000);
    } finally {
      await clearFaults();
    }
  }, 120_000);
});

describe('download failures', () => {
  it('refuses with 502 before any byte when the first shard is damaged, cuts short after good bytes otherwise, and records it', async () => {
    const jobId = await syntheticExport(3, 10_000);
    const [first, second] = await shardExtents(jobId);
    const { data } = await admin
      .from('export_shards')
      .select('storage_key')
      .eq('job_id', jobId)
      .eq('shard_no', 2)
      .single<{ storage_key: string }>();
    const problem = async () =>
      (
        await db.query<{ problem: string | null }>(
          'select problem from public.export_shards where job_id = $1 and shard_no = 2',
          [jobId],
        )
      ).rows[0]!.problem;
    await admin.storage
      .from(EXPORTS_BUCKET)
      .upload(data!.storage_key, new TextEncoder().encode('tampered'), { upsert: true });

    // The whole file: shard 1 goes out, then the response ends short — without a byte of shard 2.
    const res = await downloadExport(deps(), jobId, request(jobId));
    expect(res.status).toBe(200);
    const whole = await received(res);
    expect(whole).toMatchObject({ failed: true });
    expect(whole.bytes.length).toBe(first!.end);
    expect(await problem()).toMatch(/download: object is 8 bytes/);

    // A resume that starts in shard 2: a proper error status and message, nothing sent.
    const resumed = await downloadExport(deps(), jobId, request(jobId, { Range: `bytes=${second!.start + 5}-` })).catch(
      (error: unknown) => error,
    );
    expect(resumed).toBeInstanceOf(AppError);
    expect(resumed).toMatchObject({ code: 'upstream_damaged', details: { shardNo: 2, problem: 'size_mismatch' } });
    expect((resumed as AppError).message).toMatch(/Nothing was sent: shard 2 .*"Verify & repair".*re-runs that shard/);

    await admin.storage.from(EXPORTS_BUCKET).remove([data!.storage_key]);
    await expect(
      downloadExport(deps(), jobId, request(jobId, { Range: `bytes=${second!.start}-` })),
    ).rejects.toMatchObject({ code: 'upstream_damaged', details: { problem: 'missing' } });
    expect(await problem()).toMatch(/download: object missing/);
  }, 60_000);

  it('completes the file when storage fails reads mid-download: each is tried again within the read-ahead', async () => {
    const jobId = await syntheticExport(8, 10_000);
    const whole = await body(await downloadExport(deps(), jobId, request(jobId)));
    // The next three reads of this export's objects fail (503), as a storage hiccup under load would.
    await setFaults({ storage: { failNext: 3, match: jobId } });
    try {
      const res = await downloadExport(deps(), jobId, request(jobId));
      const again = await received(res);
      expect(again.failed).toBe(false);
      expect(sha(again.bytes)).toBe(sha(whole));
    } finally {
      await clearFaults();
    }
  }, 60_000);

  it('never lets a flipped byte reach the client, in any range', async () => {
    // Shards of ~300 kB: several storage chunks each, so a check at the shard's end would come too late.
    const jobId = await syntheticExport(4, 300_000);
    const truth = await body(await downloadExport(deps(), jobId, request(jobId)));
    const third = (await shardExtents(jobId))[2]!;
    const { data } = await admin
      .from('export_shards')
      .select('header_bytes')
      .eq('job_id', jobId)
      .eq('shard_no', 3)
      .single<{ header_bytes: number }>();
    // Early in shard 3's body: the first storage chunk of the object.
    const flipAt = third.start + 100;
    await flipByte(jobId, 3, data!.header_bytes + 100);

    const last = truth.length - 1;
    const ranges: Array<[number, number]> = [
      [0, last],
      [third.start - 1000, third.start + 1000],
      [third.start - 1, flipAt + 1],
      [third.start, third.start],
      [flipAt - 10, flipAt + 10],
      [flipAt, flipAt],
      [flipAt + 1, last],
      [third.end - 5, third.end + 5],
      [third.end, last],
      [last - 99, last],
    ];
    for (const [start, end] of ranges) {
      const res = await downloadExport(deps(), jobId, request(jobId, { Range: `bytes=${start}-${end}` })).catch(
        (error: unknown) => error,
      );
      const label = `bytes=${start}-${end}`;
      if (res instanceof AppError) {
        // Refused before any byte: only ever when the range starts inside the damaged shard.
        expect({ label, code: res.code }).toEqual({ label, code: 'upstream_damaged' });
        expect(start >= third.start && start < third.end, label).toBe(true);
        continue;
      }
      expect(res, label).toBeInstanceOf(Response);
      const got = await received(res as Response);
      // Whatever arrived is the truth, and stops before the damaged shard.
      expect(sha(got.bytes), label).toBe(sha(truth.subarray(start, start + got.bytes.length)));
      const touchesDamage = start < third.end && end >= third.start;
      expect({ label, failed: got.failed }).toEqual({ label, failed: touchesDamage });
      if (touchesDamage) expect(start + got.bytes.length, label).toBeLessThanOrEqual(third.start);
      else expect(got.bytes.length, label).toBe(end - start + 1);
    }
  }, 60_000);

  it('hides other organisations’ jobs and refuses unfinished ones with a message', async () => {
    const jobId = await syntheticExport(1, 1000);
    const other = await createTenant(db, 'Nosy agency');
    await expect(downloadExport(deps(other), jobId, request(jobId))).rejects.toMatchObject({ code: 'not_found' });

    await db.query(`update public.export_jobs set status = 'running', finished_at = null where id = $1`, [jobId]);
    await expect(downloadExport(deps(), jobId, request(jobId))).rejects.toMatchObject({
      code: 'conflict',
      message: /still running/,
    });
    await expect(downloadExport(deps(), jobId, request(jobId, {}, '?partial=1'))).rejects.toMatchObject({
      code: 'conflict',
    });

    await db.query(`update public.export_jobs set status = 'cancelled', finished_at = now() where id = $1`, [jobId]);
    await expect(downloadExport(deps(), jobId, request(jobId))).rejects.toMatchObject({
      code: 'conflict',
      message: /partial=1/,
    });
    const partial = await downloadExport(deps(), jobId, request(jobId, {}, '?partial=1'));
    expect(partial.status).toBe(200);
    expect(partial.headers.get('content-disposition')).toMatch(/-partial\.csv"$/);
    await expect(downloadExport(deps(), jobId, request(jobId, {}, '?partial=yes'))).rejects.toMatchObject({
      name: 'ZodError',
    });
  }, 60_000);
});

describe('retry missing repairs what a download found', () => {
  /** The file on the devstack's disk behind a shard's current object version (storage's backend). */
  async function fileOnDisk(jobId: string, shardNo: number): Promise<string> {
    const { rows } = await db.query<{ version: string }>(
      `select o.version from storage.objects o join public.export_shards s on s.storage_key = o.name
       where s.job_id = $1 and s.shard_no = $2 and o.bucket_id = $3`,
      [jobId, shardNo, EXPORTS_BUCKET],
    );
    const version = rows[0]!.version;
    return path.join(testStack().dataDir, 'storage', 'objects', version.slice(0, 2), version);
  }

  it('finds objects lost or cut short under their storage rows by its size check, a same-size corruption by a download, and repairs all', async () => {
    const job = await completedExport('csv', 'state:=DRAFT');
    const reference = await referenceDigest({
      collection: COLLECTION,
      filterBy: `portal_id:=${PORTAL} && state:=DRAFT`,
      fields: testFields,
      format: 'csv',
    });
    const extents = await shardExtents(job.id);
    expect(extents.length).toBeGreaterThanOrEqual(4);
    const { data: shard4 } = await admin
      .from('export_shards')
      .select('header_bytes')
      .eq('job_id', job.id)
      .eq('shard_no', 4)
      .single<{ header_bytes: number }>();
    // Shard 2: lost on disk. Shard 3: cut short on disk. Their storage rows remain as they were, so
    // `info()` and a listing still show both at their uploaded sizes. Shard 4: one flipped byte, same size.
    await rm(await fileOnDisk(job.id, 2));
    await truncate(await fileOnDisk(job.id, 3), 100);
    await flipByte(job.id, 4, shard4!.header_bytes + 10);
    const { rows: stored } = await db.query<{ shard_no: number; storage_key: string; stored_bytes: string }>(
      `select shard_no, storage_key, case when encoding = 'gzip' then gzip_bytes else bytes end as stored_bytes
         from public.export_shards where job_id = $1 and shard_no in (2, 3) order by shard_no`,
      [job.id],
    );
    const info = await admin.storage.from(EXPORTS_BUCKET).info(stored[0]!.storage_key);
    expect(info.data?.size).toBe(Number(stored[0]!.stored_bytes));

    // The default (size) check asks storage's backend: it finds 2 and 3 before anyone downloads; not 4.
    const checked = await retryExport(deps(), job.id, { dryRun: true });
    expect(checked.plan.shards.map((s) => ({ shardNo: s.shardNo, reason: s.reason }))).toEqual([
      { shardNo: 2, reason: 'object missing from storage' },
      { shardNo: 3, reason: `object is 100 bytes, manifest says ${stored[1]!.stored_bytes}` },
    ]);

    // A download finds 4: a resume from it is refused before any byte, and the problem is recorded.
    await expect(
      downloadExport(deps(), job.id, request(job.id, { Range: `bytes=${extents[3]!.start}-` })),
    ).rejects.toMatchObject({ code: 'upstream_damaged', details: { problem: 'checksum_mismatch' } });

    const { plan } = await retryExport(deps(), job.id, { dryRun: true });
    expect(plan.shards.map((s) => ({ shardNo: s.shardNo, reason: s.reason }))).toEqual([
      ...checked.plan.shards.map((s) => ({ shardNo: s.shardNo, reason: s.reason })),
      { shardNo: 4, reason: 'checksum mismatch found by a download' },
    ]);
    expect(plan.tail).toBe(false);

    await retryExport(deps(), job.id, {});
    await waitForJob(job.id, (j) => j.status === 'completed', { timeoutMs: 120_000, sweep: true });
    const whole = await body(await downloadExport(deps(), job.id, request(job.id)));
    expect({ bytes: whole.length, sha256: sha(whole) }).toEqual({ bytes: reference.bytes, sha256: reference.sha256 });

    // Each re-run shard's history keeps its own reason; the rewritten rows carry no problem any more.
    const history = await db.query<{ shard_no: number; replaced_because: string }>(
      'select shard_no, replaced_because from public.export_shard_attempts where job_id = $1 order by shard_no',
      [job.id],
    );
    expect(history.rows).toEqual(plan.shards.map((s) => ({ shard_no: s.shardNo, replaced_because: s.reason })));
    const problems = await db.query(
      'select shard_no from public.export_shards where job_id = $1 and (problem is not null or problem_kind is not null)',
      [job.id],
    );
    expect(problems.rows).toEqual([]);
    await expect(retryExport(deps(), job.id, { dryRun: true })).rejects.toMatchObject({ code: 'unprocessable' });
  }, 240_000);

  it('records a problem only against the write of the shard the download read', async () => {
    const jobId = await syntheticExport(2, 1000);
    const stale = await admin.rpc('record_export_shard_problem', {
      p_job_id: jobId,
      p_shard_no: 2,
      p_attempt: 2,
      p_kind: 'checksum_mismatch',
      p_problem: 'download: object checksum differs from the manifest',
    });
    expect(stale).toMatchObject({ data: false, error: null });
    const current = await admin.rpc('record_export_shard_problem', {
      p_job_id: jobId,
      p_shard_no: 2,
      p_attempt: 1,
      p_kind: 'size_mismatch',
      p_problem: 'download: object is 8 bytes, the manifest says 1100',
    });
    expect(current).toMatchObject({ data: true, error: null });
    const { plan } = await retryExport(deps(), jobId, { dryRun: true, verify: 'none' });
    expect(plan.shards).toEqual([{ shardNo: 2, rows: 100, reason: 'size mismatch found by a download' }]);
  }, 60_000);
});
