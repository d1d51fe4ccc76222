import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import type { SupabaseClient } from '@supabase/supabase-js';
import type pg from 'pg';
import Typesense from 'typesense';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { downloadExport } from '../../lib/download/download-export';
import { startExport } from '../../lib/exports/start-export';
import type { ExportInvocation, ExportJob } from '../../lib/exports/types';
import { EXPORTS_BUCKET } from '../../supabase/functions/_shared/shard-key.ts';
import { typesenseClientOptions } from '../../supabase/functions/_shared/typesense-nodes.ts';
import { serviceClient } from './clients';
import { testStack } from './stack-info';
import {
  createSource,
  createTenant,
  kickSweep,
  referenceDigest,
  clearFaults,
  seedCollection,
  setFaults,
  shardsDigest,
  superuserPool,
  testFields,
  testRecord,
  appTypesense,
  typesenseClient,
  waitForJob,
  type Tenant,
} from './export-fixtures';

/**
 * Lanes end to end: a job split into lanes that run side by side in real worker processes must produce
 * the same bytes as one lane, survive kills per lane, respect the caps across organisations, and fail a
 * lane that keeps dying at the attempt cap instead of looping.
 */
const COLLECTION = 'lane_posts';
const PORTAL = 777;
const RECORDS = 50_000;

let db: pg.Pool;
let tenant: Tenant;
let sourceId: string;
const admin: SupabaseClient = serviceClient();
const typesense = typesenseClient();

const depsFor = (t: Tenant) => ({
  user: { supabase: t.client, userId: t.userId },
  admin,
  typesense: appTypesense(),
});
const isFinished = (job: ExportJob) => ['completed', 'failed', 'cancelled'].includes(job.status);

async function invocations(jobId: string): Promise<ExportInvocation[]> {
  const { data, error } = await admin.from('export_invocations').select('*').eq('job_id', jobId).order('started_at');
  if (error) throw error;
  return data as ExportInvocation[];
}

async function killWorkers(): Promise<number> {
  const res = await fetch(`${testStack().apiUrl}/_devstack/functions/kill`, {
    method: 'POST',
    body: JSON.stringify({ name: 'export-worker' }),
  });
  return ((await res.json()) as { killed: number }).killed;
}

/** Every object under the job's prefix, lane by lane (test-only listing: the product never lists storage). */
async function storedKeys(organisationId: string, jobId: string, lanes: number): Promise<string[]> {
  const keys: string[] = [];
  for (let lane = 1; lane <= lanes; lane += 1) {
    const folder = `${organisationId}/${jobId}/lane-${lane}`;
    const { data, error } = await admin.storage.from(EXPORTS_BUCKET).list(folder, { limit: 10_000 });
    if (error) throw error;
    keys.push(...data.map((o) => `${folder}/${o.name}`));
  }
  return keys.sort();
}

beforeAll(async () => {
  db = superuserPool();
  await seedCollection(COLLECTION, RECORDS, { portalId: PORTAL });
  tenant = await createTenant(db, 'Lanes agency');
  sourceId = await createSource(db, tenant.organisationId, COLLECTION, `portal_id:=${PORTAL}`);
}, 300_000);

afterEach(() => db.query('update private.export_settings set max_running_lanes = 16, max_running_lanes_per_org = 8'));
afterAll(() => db.end());

describe('lanes', () => {
  it('a 4-lane and a 1-lane export of the same 50,000 records are byte-identical', async () => {
    const four = await startExport(depsFor(tenant), { sourceId, format: 'csv', fields: testFields, lanes: 4 });
    const one = await startExport(depsFor(tenant), { sourceId, format: 'csv', fields: testFields, lanes: 1 });
    expect(four.lane_count).toBe(4);
    expect(one.lane_count).toBe(1);
    const [doneFour, doneOne] = await Promise.all([
      waitForJob(four.id, isFinished, { timeoutMs: 600_000, sweep: true }),
      waitForJob(one.id, isFinished, { timeoutMs: 600_000, sweep: true }),
    ]);
    expect(doneFour).toMatchObject({ status: 'completed', rows_written: RECORDS });
    expect(doneOne).toMatchObject({ status: 'completed', rows_written: RECORDS });
    // Near-equal lanes, found by probing the source.
    for (const lane of doneFour.lanes) expect(Math.abs(lane.rows - RECORDS / 4)).toBeLessThanOrEqual(RECORDS / 40);

    const [a, b, reference] = await Promise.all([
      shardsDigest(four.id),
      shardsDigest(one.id),
      referenceDigest({ collection: COLLECTION, filterBy: `portal_id:=${PORTAL}`, fields: testFields, format: 'csv' }),
    ]);
    expect(a.sha256).toBe(b.sha256);
    expect(a.sha256).toBe(reference.sha256);
    expect(doneFour.bytes_written).toBe(reference.bytes);
    // The .gz files differ (members end where shards end, which lanes decide) but gunzip to the same bytes.
    for (const job of [four, one]) {
      const gz = await downloadExport(
        depsFor(tenant),
        job.id,
        new Request(`http://localhost/api/exports/${job.id}/download?form=gzip`),
      );
      const bytes = Buffer.from(await gz.arrayBuffer());
      expect(Number(gz.headers.get('content-length'))).toBe(bytes.length);
      expect(createHash('sha256').update(gunzipSync(bytes)).digest('hex')).toBe(reference.sha256);
    }
    // Each lane's chain: many invocations, and warm hand-offs passed the lease to an heir.
    const timeline = await invocations(four.id);
    expect(new Set(timeline.filter((i) => i.shards_written > 0).map((i) => i.lane_no))).toEqual(new Set([1, 2, 3, 4]));
    expect(timeline.filter((i) => i.end_reason === 'handoff').length).toBeGreaterThanOrEqual(4);
    const { rows: notes } = await db.query('select kind from public.notifications where job_id = $1', [four.id]);
    expect(notes).toEqual([{ kind: 'export_completed' }]);
  }, 900_000);

  it('recovers every lane after a SIGKILL of all workers, removes what the dead wrote, stays byte-identical', async () => {
    const fields = ['hs_object_id', 'title', 'tags'];
    const job = await startExport(depsFor(tenant), {
      sourceId,
      format: 'ndjson',
      fields,
      filter: 'state:=PUBLISHED',
      lanes: 3,
    });
    await waitForJob(job.id, (j) => j.lanes.every((l) => l.shards >= 2), { timeoutMs: 300_000 });
    // Kill while every lane has a live holder (between two holders a lane may be only a booting process,
    // which leaves nothing to mark killed: on a busy machine boots take seconds).
    await expect
      .poll(
        async () =>
          (
            await db.query<{ n: number }>(
              `select count(*)::int as n from public.export_lanes l join public.export_invocations i on i.id = l.lease_owner
               where l.job_id = $1 and l.lease_expires_at > now() and i.shards_written > 0`,
              [job.id],
            )
          ).rows[0]!.n,
        { timeout: 60_000, interval: 50 },
      )
      .toBe(3);
    const killedAt = Date.now();
    expect(await killWorkers()).toBeGreaterThanOrEqual(1);

    // Recovery: the next shard of any lane is recorded within a generous bound (timings belong to the bench).
    const { rows: before } = await db.query<{ n: number }>(
      'select count(*)::int as n from public.export_shards where job_id = $1',
      [job.id],
    );
    await waitForJob(job.id, (j) => j.shards_written > before[0]!.n || isFinished(j), {
      timeoutMs: 120_000,
      sweep: true,
    });
    expect(Date.now() - killedAt).toBeLessThan(90_000);

    const done = await waitForJob(job.id, isFinished, { timeoutMs: 600_000, sweep: true });
    expect(done.status).toBe('completed');
    const killed = (await invocations(job.id)).filter((i) => i.end_reason === 'killed');
    expect(killed.length).toBeGreaterThanOrEqual(1);
    // The timeline shows when it really died: its last heartbeat, not when its lease ran out.
    for (const i of killed) {
      expect(i.ended_at).toBe(i.last_heartbeat_at ?? i.started_at);
      expect(new Date(i.ended_at!).getTime()).toBeLessThanOrEqual(killedAt + 1000);
    }

    const [actual, reference] = await Promise.all([
      shardsDigest(job.id),
      referenceDigest({
        collection: COLLECTION,
        filterBy: `portal_id:=${PORTAL} && state:=PUBLISHED`,
        fields,
        format: 'ndjson',
      }),
    ]);
    expect(actual.sha256).toBe(reference.sha256);
    // Storage holds exactly what the manifest references: nothing a killed or fenced writer left behind.
    expect(await storedKeys(tenant.organisationId, job.id, 3)).toEqual(actual.shards.map((s) => s.storage_key).sort());
  }, 900_000);

  it('keeps running lanes within the global and per-organisation caps while two organisations export', async () => {
    await db.query('update private.export_settings set max_running_lanes = 3, max_running_lanes_per_org = 2');
    const other = await createTenant(db, 'Second lanes agency');
    const otherSource = await createSource(db, other.organisationId, COLLECTION, `portal_id:=${PORTAL}`);
    const filter = 'hs_object_id:<1040000';
    const jobs = await Promise.all([
      startExport(depsFor(tenant), { sourceId, format: 'csv', fields: ['hs_object_id'], filter, lanes: 4 }),
      startExport(depsFor(other), { sourceId: otherSource, format: 'csv', fields: ['hs_object_id'], filter, lanes: 4 }),
    ]);
    const peaks = { global: 0, perOrg: 0, bothAtOnce: false };
    const ids = jobs.map((j) => j.id);
    let lastSweep = 0;
    for (;;) {
      const { rows } = await db.query<{ organisation_id: string; n: number }>(
        `select j.organisation_id, count(*)::int as n from public.export_lanes l join public.export_jobs j on j.id = l.job_id
         where l.lease_owner is not null and l.lease_expires_at >= now() group by 1`,
      );
      peaks.global = Math.max(
        peaks.global,
        rows.reduce((sum, r) => sum + r.n, 0),
      );
      peaks.perOrg = Math.max(peaks.perOrg, ...rows.map((r) => r.n), 0);
      peaks.bothAtOnce ||= [tenant.organisationId, other.organisationId].every((org) =>
        rows.some((r) => r.organisation_id === org),
      );
      const { rows: states } = await db.query<{ status: string }>(
        'select status from public.export_jobs where id = any($1)',
        [ids],
      );
      if (states.every((s) => ['completed', 'failed', 'cancelled'].includes(s.status))) break;
      // The sweep as pg_cron would run it (more often, to keep the test short): lanes that wait for a slot
      // are started by lanes that end, the sweep is the backstop.
      if (Date.now() - lastSweep > 2000) {
        lastSweep = Date.now();
        await kickSweep();
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(peaks.global).toBeLessThanOrEqual(3);
    expect(peaks.perOrg).toBeLessThanOrEqual(2);
    // Neither organisation waited for the other's export to end.
    expect(peaks.bothAtOnce).toBe(true);
    const [a, b] = await Promise.all([shardsDigest(jobs[0].id), shardsDigest(jobs[1].id)]);
    expect(a.rows).toBe(40_000);
    expect(a.sha256).toBe(b.sha256);
  }, 900_000);

  it('hands 16 lanes off warm through a REST pool of 10: waiting heirs hold no connection, no heir waits in vain', async () => {
    // Two organisations' 8-lane exports (the global cap is 16 lanes) with a 1.5 s budget: every lane hands
    // off every second or so. When a waiting heir held a pool connection for its whole wait, 16 heirs could
    // hold the devstack's 10 (a hosted-sized PostgREST pool) while the holders could not record the shard
    // that passes them the baton, until the heirs' 15 s wait ran out.
    const other = await createTenant(db, 'Sixteen lanes agency');
    const otherSource = await createSource(db, other.organisationId, COLLECTION, `portal_id:=${PORTAL}`);
    const filter = 'hs_object_id:<1040000';
    // Remote-like storage (80 ms a write): heirs wait a page or two for their baton, as they do hosted.
    await setFaults({ storage: { latencyMs: 80 } });
    onTestFinished(() => clearFaults());
    const jobs = await Promise.all([
      startExport(depsFor(tenant), { sourceId, format: 'csv', fields: testFields, filter, lanes: 8 }),
      startExport(depsFor(other), { sourceId: otherSource, format: 'csv', fields: testFields, filter, lanes: 8 }),
    ]);
    const done = await Promise.all(jobs.map((job) => waitForJob(job.id, isFinished, { timeoutMs: 600_000 })));
    for (const job of done) expect(job).toMatchObject({ status: 'completed', lane_count: 8 });
    const [a, b, reference] = await Promise.all([
      shardsDigest(jobs[0].id),
      shardsDigest(jobs[1].id),
      referenceDigest({
        collection: COLLECTION,
        filterBy: `portal_id:=${PORTAL} && ${filter}`,
        fields: testFields,
        format: 'csv',
      }),
    ]);
    expect(a.sha256).toBe(reference.sha256);
    expect(b.sha256).toBe(reference.sha256);
    for (const job of jobs) {
      const timeline = await invocations(job.id);
      // Warm: every lane handed off at least once…
      expect(timeline.filter((i) => i.end_reason === 'handoff').length).toBeGreaterThanOrEqual(8);
      // …and no heir gave up waiting for one (the convoy's mark).
      expect(timeline.filter((i) => i.error?.includes('no baton within the wait'))).toEqual([]);
    }
  }, 900_000);

  it('fails a job whose page kills the worker every time at the attempt cap, once, naming the lane and reason', async () => {
    // One record too big for the worker's heap (64 MB in the tests): every invocation that fetches its
    // page dies (V8 out of memory), leaving its lease to run out.
    const poison = 'lane_poison';
    await seedCollection(poison, 150, { portalId: PORTAL });
    const rest = [
      { ...testRecord(150, PORTAL), body: 'x'.repeat(48 << 20) },
      ...Array.from({ length: 149 }, (_, k) => testRecord(151 + k, PORTAL)),
    ];
    const imported = await typesense.collections(poison).documents().import(rest, { action: 'create' });
    expect(imported.filter((r) => !r.success)).toEqual([]);
    const source = await createSource(db, tenant.organisationId, poison, null);
    const job = await startExport(depsFor(tenant), { sourceId: source, format: 'csv', fields: testFields, lanes: 1 });
    await db.query('update public.export_jobs set max_attempts = 2 where id = $1', [job.id]);

    const done = await waitForJob(job.id, isFinished, { timeoutMs: 300_000, sweep: true });
    expect(done).toMatchObject({ status: 'failed', last_error_kind: 'killed', attempts: 2 });
    expect(done.last_error).toMatch(/shard 1 of the lane .* stopped responding 2 time/);
    const { rows: notes } = await db.query('select kind from public.notifications where job_id = $1', [job.id]);
    expect(notes).toEqual([{ kind: 'export_failed' }]);
    expect((await invocations(job.id)).filter((i) => i.end_reason === 'killed')).toHaveLength(2);
  }, 400_000);
});

describe('Typesense node lists', () => {
  it('fail over from a dead node to a live one, as the worker and the app configure the client', async () => {
    const stack = testStack();
    // The discard port: nothing listens there, so the connection is refused like a node that is down.
    const dead = 'http://127.0.0.1:9';
    const client = new Typesense.Client(
      typesenseClientOptions(`${dead},${stack.typesenseUrl}`, stack.typesenseApiKey, {
        connectionTimeoutSeconds: 5,
        retriesPerNode: 1,
      }),
    );
    for (let i = 0; i < 3; i += 1) {
      const result = await client.collections(COLLECTION).documents().search({ q: '*', per_page: 1 });
      expect(result.found).toBe(RECORDS);
    }
  });
});
