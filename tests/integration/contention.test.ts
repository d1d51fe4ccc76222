import type { SupabaseClient } from '@supabase/supabase-js';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExport } from '../../lib/exports/start-export';
import type { ExportJob } from '../../lib/exports/types';
import { EXPORTS_BUCKET } from '../../supabase/functions/_shared/shard-key.ts';
import { serviceClient } from './clients';
import { testStack } from './stack-info';
import {
  appTypesense,
  createSource,
  createTenant,
  clearFaults,
  kickSweep,
  referenceDigest,
  seedCollection,
  setFaults,
  shardsDigest,
  superuserPool,
  testFields,
  waitForJob,
  type Tenant,
} from './export-fixtures';

/**
 * The engine under contention: several multi-lane exports of two organisations at once, handing off every
 * 1.5 s (the suite's budget), with duplicate kicks of every lane and a cancel in the middle. Whatever the
 * interleaving: Postgres detects no deadlock (one lock order everywhere: the job, then its lane, then
 * invocations), the finished files are byte-identical, and storage holds exactly what the manifests name.
 */
const COLLECTION = 'contention_posts';
const PORTAL = 4242;
const RECORDS = 20_000;

let db: pg.Pool;
let agency: Tenant;
let other: Tenant;
let agencySource: string;
let otherSource: string;
const admin: SupabaseClient = serviceClient();

const depsFor = (t: Tenant) => ({
  user: { supabase: t.client, userId: t.userId },
  admin,
  typesense: appTypesense(),
});
const isFinished = (job: ExportJob) => ['completed', 'failed', 'cancelled'].includes(job.status);

async function deadlocks(): Promise<number> {
  const { rows } = await db.query<{ deadlocks: string }>(
    'select deadlocks::text from pg_stat_database where datname = current_database()',
  );
  return Number(rows[0]?.deadlocks ?? 0);
}

/** Every object under the job's lane folders (test-only listing: the product reads the manifest). */
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

async function manifestKeys(jobId: string): Promise<string[]> {
  const { rows } = await db.query<{ storage_key: string }>(
    'select storage_key from public.export_shards where job_id = $1 order by storage_key',
    [jobId],
  );
  return rows.map((r) => r.storage_key);
}

async function killWorkers(): Promise<void> {
  const res = await fetch(`${testStack().apiUrl}/_devstack/functions/kill`, {
    method: 'POST',
    body: JSON.stringify({ name: 'export-worker' }),
  });
  expect(res.ok).toBe(true);
}

/** Duplicate invocations of every lane of a job, as a retrying caller or a double-firing cron would send. */
async function kickEveryLane(jobId: string, lanes: number): Promise<void> {
  await Promise.all(
    Array.from({ length: lanes }, (_, i) => admin.functions.invoke('export-worker', { body: { jobId, lane: i + 1 } })),
  );
}

beforeAll(async () => {
  db = superuserPool();
  await seedCollection(COLLECTION, RECORDS, { portalId: PORTAL });
  agency = await createTenant(db, 'Contention agency');
  other = await createTenant(db, 'Contention rival');
  agencySource = await createSource(db, agency.organisationId, COLLECTION, `portal_id:=${PORTAL}`);
  otherSource = await createSource(db, other.organisationId, COLLECTION, `portal_id:=${PORTAL}`);
}, 300_000);

afterAll(async () => {
  await clearFaults();
  await db.end();
});

describe('the engine under contention', () => {
  it('runs multi-lane exports with hand-offs, duplicate kicks and a cancel at once: no deadlock, exact files, no orphans', async () => {
    const deadlocksBefore = await deadlocks();
    const start = (t: Tenant, sourceId: string, lanes: number) =>
      startExport(depsFor(t), { sourceId, format: 'csv', fields: testFields, lanes });
    const jobs = await Promise.all([
      start(agency, agencySource, 8),
      start(other, otherSource, 4),
      start(agency, agencySource, 4),
      start(other, otherSource, 4),
    ]);
    const [kept, rival, , cancelled] = jobs;

    // Duplicate kicks while every lane runs and hands off; an upload whose record never came (as when the
    // record fails, or its writer dies between the two) in every job; a hard kill of every worker and a
    // few failed storage writes; then the last job is cancelled mid-flight.
    for (let round = 0; round < 3; round += 1) {
      await Promise.all(jobs.map((job) => kickEveryLane(job.id, job.lane_count)));
      await new Promise((resolve) => setTimeout(resolve, 700));
    }
    for (const job of jobs) {
      const stray = `${job.organisation_id}/${job.id}/lane-1/shard-999999.g99.csv.gz`;
      const { error: uploadError } = await admin.storage.from(EXPORTS_BUCKET).upload(stray, new Uint8Array([1]));
      expect(uploadError).toBeNull();
    }
    await setFaults({ storage: { failNext: 3, match: '/object/exports/' } });
    await killWorkers();
    await kickSweep();
    await waitForJob(cancelled!.id, (job) => job.shards_written >= 4 || isFinished(job), { timeoutMs: 120_000 });
    const { error } = await admin.rpc('request_export_cancel', { p_job_id: cancelled!.id });
    expect(error).toBeNull();

    const done = await Promise.all(
      jobs.map((job) => waitForJob(job.id, isFinished, { timeoutMs: 600_000, sweep: true })),
    );
    await clearFaults();
    expect(done.map((job) => job.status)).toEqual(['completed', 'completed', 'completed', 'cancelled']);

    // One lock order: not one deadlock in all of that.
    expect((await deadlocks()) - deadlocksBefore).toBe(0);

    const reference = await referenceDigest({
      collection: COLLECTION,
      filterBy: `portal_id:=${PORTAL}`,
      fields: testFields,
      format: 'csv',
    });
    for (const job of [kept!, rival!, jobs[2]!]) expect((await shardsDigest(job.id)).sha256).toBe(reference.sha256);

    // Storage holds exactly what the manifests name: nothing a failed record, a fenced writer or a cancel
    // left behind (the cancelled job's clean-up runs once no lease can still be alive).
    for (const job of done) {
      const owner = job.organisation_id;
      const expected = await manifestKeys(job.id);
      await expect
        .poll(
          async () => {
            await kickSweep();
            return storedKeys(owner, job.id, job.lane_count);
          },
          { timeout: 60_000, interval: 1_000 },
        )
        .toEqual(expected);
    }
  }, 900_000);
});
