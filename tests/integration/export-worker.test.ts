import type { SupabaseClient } from '@supabase/supabase-js';
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cancelExport } from '../../lib/exports/cancel-export';
import { startExport } from '../../lib/exports/start-export';
import type { ExportInvocation, ExportJob } from '../../lib/exports/types';
import { EXPORTS_BUCKET } from '../../supabase/functions/_shared/shard-key.ts';
import { serviceClient } from './clients';
import { testStack } from './stack-info';
import {
  clearFaults,
  createSource,
  createTenant,
  readJob,
  referenceDigest,
  seedCollection,
  setFaults,
  shardsDigest,
  superuserPool,
  testFields,
  appTypesense,
  waitForJob,
  type Tenant,
} from './export-fixtures';

/**
 * The export engine end to end on the devstack: the API's domain functions start jobs, the real
 * export-worker Edge Function runs in Deno with hand-offs, and the output is compared byte for byte
 * with a single-pass reference encoding (design invariants 1–7).
 */
const COLLECTION = 'worker_posts';
const PORTAL = 4242;
// Enough for several hand-offs in the suite's 1.5 s slices even at the fastest measured one-lane rate
// (about 7,700 records/s): the hand-offs are the point here, not the count.
const RECORDS = 40_000;

let db: pg.Pool;
let tenant: Tenant;
let sourceId: string;
const admin: SupabaseClient = serviceClient();
const typesense = appTypesense();

const deps = () => ({ user: { supabase: tenant.client, userId: tenant.userId }, admin, typesense });
const isFinished = (job: ExportJob) => ['completed', 'failed', 'cancelled'].includes(job.status);

async function invocations(jobId: string): Promise<ExportInvocation[]> {
  const { data, error } = await admin.from('export_invocations').select('*').eq('job_id', jobId).order('started_at');
  if (error) throw error;
  return data as ExportInvocation[];
}

async function notificationKinds(jobId: string): Promise<string[]> {
  const { data, error } = await admin.from('notifications').select('kind').eq('job_id', jobId);
  if (error) throw error;
  return (data as Array<{ kind: string }>).map((n) => n.kind).sort();
}

/** Kicks the worker directly with a budget (the API's kick uses the configured default). */
async function kick(jobId: string, budget?: { timeMs?: number; cpuMs?: number }) {
  const { error } = await admin.functions.invoke('export-worker', { body: { jobId, budget } });
  if (error) throw error;
}

/** A queued job inserted as the API would, without the API's calls to the source. */
async function queueJob(options: { fields: string[]; filter: string | null; maxAttempts?: number }): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `insert into public.export_jobs (organisation_id, source_id, requested_by, collection, key_field, mandatory_filter,
       filter, fields, format, estimated_rows, max_attempts)
     values ($1, $2, $3, $4, 'hs_object_id', $5, $6, $7, 'csv', 0, $8) returning id`,
    [
      tenant.organisationId,
      sourceId,
      tenant.userId,
      COLLECTION,
      `portal_id:=${PORTAL}`,
      options.filter,
      options.fields,
      options.maxAttempts ?? 5,
    ],
  );
  return rows[0]!.id;
}

beforeAll(async () => {
  db = superuserPool();
  // Records from another portal in the same collection: the mandatory filter must keep them out.
  await seedCollection(COLLECTION, RECORDS, { portalId: PORTAL });
  tenant = await createTenant(db, 'Worker test agency');
  sourceId = await createSource(db, tenant.organisationId, COLLECTION, `portal_id:=${PORTAL}`);
}, 300_000);

afterEach(() => clearFaults());
afterAll(() => db.end());

describe('export worker', () => {
  it.each(['csv', 'ndjson'] as const)(
    'exports %s across many hand-offs, byte-identical to a single pass',
    async (format) => {
      const job = await startExport(deps(), { sourceId, format, fields: testFields });
      expect(job.estimated_rows).toBe(RECORDS);
      const done = await waitForJob(job.id, isFinished, { timeoutMs: 240_000, sweep: true });
      expect(done).toMatchObject({ status: 'completed', rows_written: RECORDS, tail_complete: true });

      const [actual, reference] = await Promise.all([
        shardsDigest(job.id),
        referenceDigest({ collection: COLLECTION, filterBy: `portal_id:=${PORTAL}`, fields: testFields, format }),
      ]);
      expect(actual.rows).toBe(RECORDS);
      expect(actual.bytes).toBe(reference.bytes);
      expect(actual.sha256).toBe(reference.sha256);
      expect(done.bytes_written).toBe(reference.bytes);

      const timeline = await invocations(job.id);
      const handoffs = timeline.filter((i) => i.end_reason === 'handoff').length;
      expect(handoffs).toBeGreaterThanOrEqual(3);
      // Each lane ends with exactly one completing invocation.
      expect(timeline.filter((i) => i.end_reason === 'completed').length).toBe(done.lane_count);
      expect(await notificationKinds(job.id)).toEqual(['export_completed']);
    },
    300_000,
  );
});

describe('export worker under trouble', () => {
  it('recovers an invocation killed at the wall clock through the sweep, output still byte-identical', async () => {
    const fields = ['hs_object_id', 'title', 'tags'];
    const job = await startExport(deps(), { sourceId, format: 'csv', fields, filter: 'state:=DRAFT' });
    await waitForJob(job.id, (j) => j.shards_written >= 5, { timeoutMs: 60_000 });

    // Kill every running copy outright: no beforeunload, no hand-off, the lease is left to expire.
    const res = await fetch(`${testStack().apiUrl}/_devstack/functions/kill`, {
      method: 'POST',
      body: JSON.stringify({ name: 'export-worker' }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { killed: number }).killed).toBeGreaterThanOrEqual(1);

    const done = await waitForJob(job.id, isFinished, { timeoutMs: 180_000, sweep: true });
    expect(done.status).toBe('completed');
    const timeline = await invocations(job.id);
    expect(timeline.some((i) => i.end_reason === 'killed')).toBe(true);

    const [actual, reference] = await Promise.all([
      shardsDigest(job.id),
      referenceDigest({
        collection: COLLECTION,
        filterBy: `portal_id:=${PORTAL} && state:=DRAFT`,
        fields,
        format: 'csv',
      }),
    ]);
    expect(actual.sha256).toBe(reference.sha256);
    expect(await notificationKinds(job.id)).toEqual(['export_completed']);
  }, 300_000);

  it('lets one of several simultaneous invocations work; the others back off', async () => {
    const fields = ['hs_object_id', 'title'];
    const job = await startExport(deps(), { sourceId, format: 'ndjson', fields, filter: 'archived:=true' });
    await Promise.all(Array.from({ length: 4 }, () => kick(job.id, { timeMs: 60_000 })));
    const done = await waitForJob(job.id, isFinished, { timeoutMs: 120_000, sweep: true });
    expect(done.status).toBe('completed');

    const timeline = await invocations(job.id);
    expect(timeline.filter((i) => i.end_reason === 'declined').length).toBeGreaterThanOrEqual(1);
    const [actual, reference] = await Promise.all([
      shardsDigest(job.id),
      referenceDigest({
        collection: COLLECTION,
        filterBy: `portal_id:=${PORTAL} && archived:=true`,
        fields,
        format: 'ndjson',
      }),
    ]);
    expect(actual.rows).toBe(reference.rows);
    expect(actual.sha256).toBe(reference.sha256);
  }, 200_000);

  it('obeys a cancel within one page and records nothing after it', async () => {
    const job = await startExport(deps(), { sourceId, format: 'csv', fields: testFields });
    await waitForJob(job.id, (j) => j.shards_written >= 3, { timeoutMs: 60_000 });
    const requested = await cancelExport(deps(), job.id);
    expect(['running', 'cancelled']).toContain(requested.status);

    const done = await waitForJob(job.id, isFinished, { timeoutMs: 60_000, sweep: true });
    expect(done.status).toBe('cancelled');
    const { shards } = await shardsDigest(job.id);
    const cancelAt = new Date(done.cancel_requested_at!).getTime();
    expect(shards.filter((s) => new Date(s.written_at).getTime() > cancelAt)).toEqual([]);
    expect(done.shards_written).toBe(shards.length);
    // Storage holds exactly the manifest's objects: a shard uploaded while the record before it was
    // learning of the cancel is removed, never left behind.
    const { rows: stored } = await db.query<{ name: string }>(
      `select name from storage.objects where bucket_id = $1 and name like $2 order by name`,
      [EXPORTS_BUCKET, `%/${job.id}/%`],
    );
    expect(stored.map((o) => o.name)).toEqual(shards.map((s) => s.storage_key).sort());
    expect(await notificationKinds(job.id)).toEqual(['export_cancelled']);
    await expect(cancelExport(deps(), job.id)).rejects.toMatchObject({ code: 'conflict' });
  }, 120_000);

  it('refuses a budget the platform cannot give (a CPU budget at its CPU limit)', async () => {
    const jobId = await queueJob({ fields: ['hs_object_id'], filter: null });
    await expect(kick(jobId, { cpuMs: 2_000 })).rejects.toMatchObject({ name: 'FunctionsHttpError' });
  });

  it('rides out transient source and storage faults, resetting attempts after a good page', async () => {
    const fields = ['hs_object_id', 'state'];
    // Queued directly, so the API's own source calls cannot use up the injected faults.
    const jobId = await queueJob({ fields, filter: 'state:=SCHEDULED' });
    // Two source failures (the worker's Typesense client retries once by itself, so one would be
    // absorbed), then one storage failure; aimed at this job only (its filter, its storage prefix).
    await setFaults({
      typesense: { failNext: 2, match: 'state:=SCHEDULED' },
      storage: { failNext: 1, match: `/${jobId}/` },
    });
    await kick(jobId);
    const done = await waitForJob(jobId, isFinished, { timeoutMs: 120_000, sweep: true });
    expect(done).toMatchObject({ status: 'completed', attempts: 0, last_error: null });
    const errors = (await invocations(jobId)).filter((i) => i.end_reason === 'error').map((i) => i.error);
    expect(
      errors.map((e) => e?.split(':')[0]),
      errors.join('\n'),
    ).toEqual(['source_unavailable', 'storage_failed']);

    const [actual, reference] = await Promise.all([
      shardsDigest(jobId),
      referenceDigest({
        collection: COLLECTION,
        filterBy: `portal_id:=${PORTAL} && state:=SCHEDULED`,
        fields,
        format: 'csv',
      }),
    ]);
    expect(actual.sha256).toBe(reference.sha256);
  }, 180_000);

  it('refuses to start while the source is down (the estimate needs it)', async () => {
    await setFaults({ typesense: { errorRate: 1 } });
    await expect(startExport(deps(), { sourceId, format: 'csv', fields: ['hs_object_id'] })).rejects.toMatchObject({
      code: 'upstream_unavailable',
    });
  });

  it('fails for good at the attempt cap with exactly one failure notification', async () => {
    // Queued directly (the API would refuse while the source is down), with a cap of 3 attempts.
    const jobId = await queueJob({ fields: ['hs_object_id'], filter: null, maxAttempts: 3 });
    await setFaults({ typesense: { errorRate: 1 } });
    await kick(jobId);
    const done = await waitForJob(jobId, isFinished, { timeoutMs: 120_000, sweep: true });
    expect(done).toMatchObject({ status: 'failed', attempts: 3, last_error_kind: 'source_unavailable' });
    expect(await notificationKinds(jobId)).toEqual(['export_failed']);
    expect((await invocations(jobId)).filter((i) => i.end_reason === 'error')).toHaveLength(3);
  }, 180_000);
});

describe('export worker memory', () => {
  it('keeps the heap flat: peak for 50,000 records ≈ peak for 2,500, under a 64 MB heap cap', async () => {
    // Few, large records (4.8 kB bodies): the export is as many bytes as 200,000 records of 1.2 kB, several
    // times the heap cap, in a quarter of the pages (the cost of an export here is mostly per page).
    const big = 'worker_posts_memory';
    await seedCollection(big, 50_000, { portalId: PORTAL, bodyBytes: 4_800 });
    const bigSource = await createSource(db, tenant.organisationId, big, null);
    const peakFor = async (filter: string | null) => {
      const job = await startExport(deps(), { sourceId: bigSource, format: 'csv', fields: testFields, filter });
      // Long invocations: as much CPU as the platform's 2 s limit allows, so many pages pass through each
      // process (a budget at or past the limit is refused).
      await kick(job.id, { timeMs: 100_000, cpuMs: 1_900 });
      const done = await waitForJob(job.id, isFinished, { timeoutMs: 400_000, sweep: true });
      expect(done.status).toBe('completed');
      const timeline = await invocations(job.id);
      return { done, peak: Math.max(...timeline.map((i) => i.peak_heap_bytes ?? 0)), timeline };
    };
    const small = await peakFor('hs_object_id:<1002500');
    const large = await peakFor(null);
    expect(small.done.rows_written).toBe(2_500);
    expect(large.done.rows_written).toBe(50_000);
    // The export is several times the heap cap and 20 times the small one; the worker's peak barely moves.
    expect(large.done.bytes_written).toBeGreaterThan(3 * 64 * 1024 * 1024);
    expect(large.peak).toBeLessThan(64 * 1024 * 1024);
    expect(large.peak).toBeLessThan(small.peak * 1.5 + 8 * 1024 * 1024);
  }, 900_000);
});

describe('starting an export: bad input is refused and nothing is written', () => {
  async function jobCount(): Promise<number> {
    const { rows } = await db.query<{ n: string }>('select count(*) as n from public.export_jobs');
    return Number(rows[0]!.n);
  }

  it.each([
    ['an unknown source', () => ({ sourceId: '00000000-0000-4000-8000-000000000000', format: 'csv' }), 'not_found'],
    ['an unknown field', () => ({ sourceId, format: 'csv', fields: ['hs_object_id', 'nope'] }), 'unprocessable'],
    ['a malformed filter', () => ({ sourceId, format: 'csv', filter: 'state:=[DRAFT' }), 'unprocessable'],
    [
      'a filter that breaks out of its parentheses',
      () => ({ sourceId, format: 'csv', filter: 'state:=DRAFT) || (portal_id:>0' }),
      'unprocessable',
    ],
    [
      'a filter on a field the collection lacks',
      () => ({ sourceId, format: 'csv', filter: 'nope:=1' }),
      'unprocessable',
    ],
  ])('%s', async (_label, input, code) => {
    const before = await jobCount();
    await expect(startExport(deps(), input() as never)).rejects.toMatchObject({ code });
    expect(await jobCount()).toBe(before);
  });

  it.each([
    ['an invalid format', () => ({ sourceId, format: 'xlsx' })],
    ['a non-uuid source id', () => ({ sourceId: 'blog_posts', format: 'csv' })],
    ['unexpected keys', () => ({ sourceId, format: 'csv', organisationId: 'x' })],
  ])('%s is a validation error', async (_label, input) => {
    const before = await jobCount();
    await expect(startExport(deps(), input() as never)).rejects.toMatchObject({ name: 'ZodError' });
    expect(await jobCount()).toBe(before);
  });

  it("another organisation's source is a 404, not a 403", async () => {
    const other = await createTenant(db, 'Other agency');
    const otherSource = await createSource(db, other.organisationId, COLLECTION, 'portal_id:=1');
    await expect(startExport(deps(), { sourceId: otherSource, format: 'csv' })).rejects.toMatchObject({
      code: 'not_found',
    });
    const job = await startExport(deps(), {
      sourceId,
      format: 'csv',
      fields: ['hs_object_id'],
      filter: 'hs_object_id:<1000010',
    });
    const otherDeps = { user: { supabase: other.client, userId: other.userId }, admin, typesense };
    await expect(cancelExport(otherDeps, job.id)).rejects.toMatchObject({ code: 'not_found' });
    await waitForJob(job.id, isFinished, { timeoutMs: 60_000, sweep: true });
    expect((await readJob(job.id)).rows_written).toBe(10);
  });
});
