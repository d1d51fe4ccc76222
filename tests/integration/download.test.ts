import { createHash, randomInt } from 'node:crypto';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadExport } from '../../lib/download/download-export';
import { startExport } from '../../lib/exports/start-export';
import type { ExportJob } from '../../lib/exports/types';
import { encodeShard } from '../../supabase/functions/_shared/export-format.ts';
import { EXPORTS_BUCKET, shardStorageKey } from '../../supabase/functions/_shared/shard-key.ts';
import { serviceClient } from './clients';
import {
  createSource,
  createTenant,
  referenceDigest,
  seedCollection,
  superuserPool,
  testFields,
  typesenseClient,
  waitForJob,
  type Tenant,
} from './export-fixtures';
import { testStack } from './stack-info';

/**
 * GET /api/exports/:id/download, through its domain function (the route only adds auth): exact bytes,
 * ranges, ETag/If-Range, constant memory, integrity failures, authorisation (issue: streaming download).
 */
const COLLECTION = 'download_posts';
const PORTAL = 77;
const RECORDS = 5_000;

let db: pg.Pool;
let tenant: Tenant;
let sourceId: string;
let storageBytesRead = 0;

/** A service-role client whose storage reads are counted: how we see the server stop reading. */
function countingAdmin(): SupabaseClient {
  const stack = testStack();
  return createClient(stack.apiUrl, stack.serviceRoleKey, {
    auth: { persistSession: false, autoRefreshToken: false },
    global: {
      fetch: async (input, init) => {
        const res = await fetch(input, init);
        if (!String(input).includes('/storage/v1/object/') || !res.body) return res;
        const counted = res.body.pipeThrough(
          new TransformStream<Uint8Array, Uint8Array>({
            transform(chunk, controller) {
              storageBytesRead += chunk.length;
              controller.enqueue(chunk);
            },
          }),
        );
        return new Response(counted, { status: res.status, headers: res.headers });
      },
    },
  });
}

const admin = countingAdmin();
const deps = (t: Tenant = tenant) => ({
  user: { supabase: t.client, userId: t.userId },
  admin,
  typesense: typesenseClient(),
});

function request(jobId: string, headers: Record<string, string> = {}, query = ''): Request {
  return new Request(`http://localhost/api/exports/${jobId}/download${query}`, { headers });
}

async function body(res: Response): Promise<Uint8Array> {
  return new Uint8Array(await res.arrayBuffer());
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

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
  }, 180_000);
});

/** A completed job with a synthetic manifest of `shardCount` CSV shards of about `shardBytes` each. */
async function syntheticExport(shardCount: number, shardBytes: number): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `insert into public.export_jobs (organisation_id, source_id, requested_by, collection, key_field, fields, format,
       estimated_rows, status, tail_complete, finished_at)
     values ($1, $2, $3, $4, 'hs_object_id', '{hs_object_id,body}', 'csv', 0, 'completed', true, now()) returning id`,
    [tenant.organisationId, sourceId, tenant.userId, COLLECTION],
  );
  const jobId = rows[0]!.id;
  const line = 'x'.repeat(shardBytes / 100);
  for (let n = 1; n <= shardCount; n += 1) {
    const docs = Array.from({ length: 100 }, (_, i) => ({ hs_object_id: n * 1000 + i, body: `${line}` }));
    const shard = encodeShard(docs, { format: 'csv', fields: ['hs_object_id', 'body'], neutraliseFormulas: true });
    const key = shardStorageKey({
      organisationId: tenant.organisationId,
      jobId,
      lane: 1,
      laneSeq: n,
      generation: 1,
      format: 'csv',
    });
    const { error } = await serviceClient()
      .storage.from(EXPORTS_BUCKET)
      .upload(key, shard.bytes, { upsert: true, contentType: 'text/csv' });
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
  }
  return jobId;
}

describe('download at scale', () => {
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

  it('stops reading storage when the client goes away', async () => {
    const jobId = await syntheticExport(20, 1_000_000);
    storageBytesRead = 0;
    const res = await downloadExport(deps(), jobId, request(jobId));
    const reader = res.body!.getReader();
    await reader.read();
    await reader.cancel();
    await new Promise((r) => setTimeout(r, 500));
    // One shard (about 1 MB) at most was read: not the 20 MB of the export.
    expect(storageBytesRead).toBeLessThan(2_500_000);
  }, 120_000);
});

describe('download failures', () => {
  it('fails clearly on a missing or corrupt shard and records it on the manifest', async () => {
    const jobId = await syntheticExport(3, 10_000);
    const { data } = await admin
      .from('export_shards')
      .select('storage_key')
      .eq('job_id', jobId)
      .eq('shard_no', 2)
      .single<{ storage_key: string }>();
    await serviceClient()
      .storage.from(EXPORTS_BUCKET)
      .upload(data!.storage_key, new TextEncoder().encode('tampered'), { upsert: true });
    const res = await downloadExport(deps(), jobId, request(jobId));
    expect(res.status).toBe(200);
    await expect(res.arrayBuffer()).rejects.toThrow();
    const { rows } = await db.query<{ problem: string | null }>(
      'select problem from public.export_shards where job_id = $1 and shard_no = 2',
      [jobId],
    );
    expect(rows[0]!.problem).toMatch(/download: object is 8 bytes/);

    await serviceClient().storage.from(EXPORTS_BUCKET).remove([data!.storage_key]);
    await expect((await downloadExport(deps(), jobId, request(jobId))).arrayBuffer()).rejects.toThrow();
    const after = await db.query<{ problem: string | null }>(
      'select problem from public.export_shards where job_id = $1 and shard_no = 2',
      [jobId],
    );
    expect(after.rows[0]!.problem).toMatch(/missing/);
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
