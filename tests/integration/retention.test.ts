import { randomUUID } from 'node:crypto';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AppError, errorResponse } from '../../lib/api/app-error';
import { downloadExport } from '../../lib/download/download-export';
import { retryExport } from '../../lib/exports/retry-export';
import { startExport } from '../../lib/exports/start-export';
import type { ExportJob } from '../../lib/exports/types';
import { keepExport } from '../../lib/retention/keep-export';
import { updateOrganisationSettings } from '../../lib/retention/organisation-settings';
import { organisationStorageUse } from '../../lib/retention/organisation-storage-use';
import { EXPORTS_BUCKET, laneFolder } from '../../supabase/functions/_shared/shard-key.ts';
import { expireEndedJob, type ExpiryPorts } from '../../supabase/functions/_shared/storage-expiry.ts';
import { serviceClient, storedSizes } from './clients';
import {
  appTypesense,
  createSource,
  createTenant,
  kickSweep,
  readJob,
  seedCollection,
  superuserPool,
  testFields,
  waitForJob,
  type Tenant,
} from './export-fixtures';
import { testStack } from './stack-info';

/**
 * Retention (issue 24): an ended export's files expire after the organisation's period (or an admin's
 * pin); the sweep hands expired exports to workers a batch at a time, which empty their folders through
 * the Storage API and mark them expired, keeping manifest and history; an expiry killed half way is
 * finished by a later sweep; a download of an expired export answers 410.
 */
const COLLECTION = 'retention_posts';
const PORTAL = 24;
const RECORDS = 1_200;
const DAY_MS = 86_400_000;

let db: pg.Pool;
let member: Tenant;
let adminUser: { userId: string; client: SupabaseClient };
let sourceId: string;
const admin = serviceClient();

const deps = (user: { client: SupabaseClient; userId: string }) => ({
  user: { supabase: user.client, userId: user.userId },
  admin,
  typesense: appTypesense(),
  storedSize: storedSizes(),
});

async function addAdmin(organisationId: string) {
  const email = `retention-admin-${randomUUID().slice(0, 8)}@example.test`;
  const password = 'correct horse battery';
  const created = await admin.auth.admin.createUser({ email, password, email_confirm: true });
  if (created.error) throw created.error;
  await db.query(`insert into public.memberships (organisation_id, user_id, role) values ($1, $2, 'admin')`, [
    organisationId,
    created.data.user.id,
  ]);
  const client = createClient(testStack().apiUrl, testStack().publishableKey, {
    auth: { persistSession: false, autoRefreshToken: false },
  });
  const signedIn = await client.auth.signInWithPassword({ email, password });
  if (signedIn.error) throw signedIn.error;
  return { userId: created.data.user.id, client };
}

/** A completed two-lane export (two folders of shard objects). */
async function completedExport(): Promise<ExportJob> {
  const job = await startExport(deps({ client: member.client, userId: member.userId }), {
    sourceId,
    format: 'csv',
    fields: testFields,
    lanes: 2,
  });
  return waitForJob(job.id, (j) => j.status === 'completed', { timeoutMs: 120_000, sweep: true });
}

/** The keys stored under the job's lane folders, listed through the Storage API. */
async function storedKeys(job: ExportJob): Promise<string[]> {
  const keys: string[] = [];
  for (let lane = 1; lane <= job.lane_count; lane += 1) {
    const folder = laneFolder(job.organisation_id, job.id, lane);
    const { data, error } = await admin.storage.from(EXPORTS_BUCKET).list(folder, { limit: 1000 });
    if (error) throw error;
    keys.push(...data.map((o) => `${folder}/${o.name}`));
  }
  return keys;
}

async function expireNow(jobId: string, ago = 1_000): Promise<void> {
  await db.query(
    `update public.export_jobs set expires_at = now() - make_interval(secs => $2::int / 1000.0) where id = $1`,
    [jobId, ago],
  );
}

async function events(
  jobId: string,
): Promise<Array<{ kind: string; actor: string | null; detail: Record<string, unknown> }>> {
  const { rows } = await db.query<{ kind: string; actor: string | null; detail: Record<string, unknown> }>(
    'select kind, actor, detail from public.export_events where job_id = $1 order by id',
    [jobId],
  );
  return rows;
}

/** Runs the sweep until the storage clean-ups of the jobs have all been done. */
async function cleanUpsDone(jobIds: string[]): Promise<void> {
  await vi.waitFor(
    async () => {
      const { rows } = await db.query<{ n: string }>(
        'select count(*) as n from private.export_storage_cleanups where job_id = any($1) and done_at is null',
        [jobIds],
      );
      if (Number(rows[0]!.n) === 0) return;
      await kickSweep();
      throw new Error(`${rows[0]!.n} storage clean-ups still to do`);
    },
    { timeout: 120_000, interval: 1_000 },
  );
}

function downloadRequest(jobId: string): Request {
  return new Request(`http://localhost/api/exports/${jobId}/download`);
}

beforeAll(async () => {
  db = superuserPool();
  await seedCollection(COLLECTION, RECORDS, { portalId: PORTAL });
  member = await createTenant(db, 'Retention agency');
  adminUser = await addAdmin(member.organisationId);
  sourceId = await createSource(db, member.organisationId, COLLECTION, `portal_id:=${PORTAL}`);
}, 180_000);

afterAll(async () => {
  await db.query('update private.export_settings set expiry_batch = 20');
  await db.end();
});

describe('retention', () => {
  it('an ended export expires its end plus the organisation’s period; an admin’s change and pin move it, a member’s are refused', async () => {
    const job = await completedExport();
    const finished = new Date(job.finished_at!).getTime();
    expect(new Date(job.expires_at!).getTime()).toBe(finished + 30 * DAY_MS);

    await updateOrganisationSettings(adminUser.client, member.organisationId, {
      retentionDays: 7,
      approvalThreshold: null,
    });
    expect(new Date((await readJob(job.id)).expires_at!).getTime()).toBe(finished + 7 * DAY_MS);

    const until = new Date(Date.now() + 90 * DAY_MS).toISOString();
    const kept = await keepExport({ user: { supabase: adminUser.client } }, job.id, { until });
    expect(new Date(kept.expires_at!).getTime()).toBe(new Date(until).getTime());
    expect(new Date(kept.kept_until!).getTime()).toBe(new Date(until).getTime());
    expect((await events(job.id)).filter((e) => e.kind === 'kept')).toEqual([
      { kind: 'kept', actor: adminUser.userId, detail: { until: expect.any(String) as string } },
    ]);
    const unpinned = await keepExport({ user: { supabase: adminUser.client } }, job.id, { until: null });
    expect(new Date(unpinned.expires_at!).getTime()).toBe(finished + 7 * DAY_MS);

    // A member may neither pin nor change the period: 403 with a sentence, nothing changed.
    await expect(keepExport({ user: { supabase: member.client } }, job.id, { until })).rejects.toMatchObject({
      code: 'forbidden',
      message: 'Only an admin of this organisation can keep an export longer. Ask one of its admins.',
    });
    await expect(
      updateOrganisationSettings(member.client, member.organisationId, { retentionDays: 1, approvalThreshold: null }),
    ).rejects.toMatchObject({ code: 'forbidden' });
    expect(new Date((await readJob(job.id)).expires_at!).getTime()).toBe(finished + 7 * DAY_MS);
    await updateOrganisationSettings(adminUser.client, member.organisationId, {
      retentionDays: 30,
      approvalThreshold: null,
    });
  }, 180_000);

  it('admins see the storage the files take, in total and per export; members are refused', async () => {
    const job = await completedExport();
    const use = await organisationStorageUse(adminUser.client, member.organisationId);
    const { rows } = await db.query<{ bytes: string }>(
      `select sum(case when encoding = 'gzip' then gzip_bytes else bytes end) as bytes from public.export_shards where job_id = $1`,
      [job.id],
    );
    expect(use.exports.find((e) => e.id === job.id)?.bytes).toBe(Number(rows[0]!.bytes));
    expect(use.total_bytes).toBe(use.exports.reduce((sum, e) => sum + e.bytes, 0));
    await expect(organisationStorageUse(member.client, member.organisationId)).rejects.toMatchObject({
      code: 'forbidden',
    });
  }, 180_000);

  it('the sweep expires a batch of exports a run, removes every object through storage, keeps manifest and history; a download then answers 410', async () => {
    const jobs = [await completedExport(), await completedExport(), await completedExport()];
    for (const job of jobs) expect((await storedKeys(job)).length).toBeGreaterThan(0);
    const before = await downloadExport(deps(member), jobs[0]!.id, downloadRequest(jobs[0]!.id));
    expect(before.status).toBe(200);
    await before.body?.cancel();

    // Any worker kicked for an ended export also takes its expiry when due: let the storage clean-ups
    // (kicked for each export shortly after it ended) finish first, so only the expiries are left to kick.
    await cleanUpsDone(jobs.map((j) => j.id));
    await db.query('update private.export_settings set expiry_batch = 2');
    // Distinct expiry times: the sweep takes the oldest first.
    await expireNow(jobs[0]!.id, 3_000);
    await expireNow(jobs[1]!.id, 2_000);
    await expireNow(jobs[2]!.id, 1_000);
    const firstRun = await kickSweep();
    expect(jobs.map((j) => firstRun.includes(j.id))).toEqual([true, true, false]);
    for (const job of jobs.slice(0, 2)) await waitForJob(job.id, (j) => j.expired_at !== null);
    expect((await readJob(jobs[2]!.id)).expired_at).toBeNull();
    expect((await storedKeys(jobs[2]!)).length).toBeGreaterThan(0);

    const secondRun = await kickSweep();
    expect(secondRun).toContain(jobs[2]!.id);
    await waitForJob(jobs[2]!.id, (j) => j.expired_at !== null);

    for (const job of jobs) {
      expect(await storedKeys(job)).toEqual([]);
      const after = await readJob(job.id);
      // How the run ended stays; so do its manifest and history.
      expect(after.status).toBe('completed');
      const { rows } = await db.query<{ n: string }>(
        'select count(*) as n from public.export_shards where job_id = $1',
        [job.id],
      );
      expect(Number(rows[0]!.n)).toBe(job.shards_written);
      const kinds = (await events(job.id)).map((e) => e.kind);
      expect(kinds.filter((k) => k === 'expired')).toHaveLength(1);
      expect(kinds).toContain('completed');
    }
    // Nothing left to take: no further kick for these exports.
    expect((await kickSweep()).filter((id) => jobs.some((j) => j.id === id))).toEqual([]);

    const gone = await downloadExport(deps(member), jobs[0]!.id, downloadRequest(jobs[0]!.id)).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(AppError);
    const response = errorResponse(gone);
    expect(response.status).toBe(410);
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(
      /^The files of this export expired on \d{1,2} \w{3} \d{4} and were removed under your organisation's retention period\. Use "Run again"/,
    );
    // A re-run would need the files: refused with the way forward.
    await expect(retryExport(deps(member), jobs[0]!.id, {})).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('Run again') as string,
    });
  }, 300_000);

  it('an expiry killed half way is finished by the next sweep, and leaves no object behind', async () => {
    const job = await completedExport();
    await cleanUpsDone([job.id]);
    const keys = await storedKeys(job);
    expect(keys.length).toBeGreaterThan(1);
    await expireNow(job.id);

    // A worker that dies after removing its first batch (lane 1's folder), as a killed isolate would.
    let removals = 0;
    const bucket = admin.storage.from(EXPORTS_BUCKET);
    const dying: ExpiryPorts = {
      rpc: async (fn, args) => {
        const { data, error } = await admin.rpc(fn, args);
        if (error) throw error;
        return data;
      },
      listObjects: async (folder) => {
        const { data, error } = await bucket.list(folder, { limit: 1000 });
        if (error) throw error;
        return data.map((o) => `${folder}/${o.name}`);
      },
      removeObjects: async (batch) => {
        removals += 1;
        if (removals > 1) throw new Error('isolate killed');
        const { error } = await bucket.remove(batch);
        if (error) throw error;
      },
      log: () => {},
    };
    await expect(expireEndedJob(job.id, dying)).rejects.toThrow('isolate killed');
    const left = await storedKeys(job);
    expect(left.length).toBeGreaterThan(0);
    expect(left.length).toBeLessThan(keys.length);
    expect((await readJob(job.id)).expired_at).toBeNull();

    // The dead worker's take holds for a minute: the next sweep leaves it alone…
    expect(await kickSweep()).not.toContain(job.id);
    // …and, the minute past, takes it again and finishes.
    await db.query(`update private.export_expiries set started_at = now() - interval '61 seconds' where job_id = $1`, [
      job.id,
    ]);
    expect(await kickSweep()).toContain(job.id);
    await waitForJob(job.id, (j) => j.expired_at !== null);
    expect(await storedKeys(job)).toEqual([]);
    expect((await events(job.id)).filter((e) => e.kind === 'expired')).toEqual([
      { kind: 'expired', actor: null, detail: expect.objectContaining({ removed_objects: left.length }) as object },
    ]);
  }, 300_000);

  it('a pinned export is not expired when the organisation’s period runs out', async () => {
    const job = await completedExport();
    await cleanUpsDone([job.id]);
    await keepExport({ user: { supabase: adminUser.client } }, job.id, {
      until: new Date(Date.now() + 10 * DAY_MS).toISOString(),
    });
    // Its end long past the period: the pin still holds.
    await db.query(`update public.export_jobs set finished_at = now() - interval '40 days' where id = $1`, [job.id]);
    await updateOrganisationSettings(adminUser.client, member.organisationId, {
      retentionDays: 30,
      approvalThreshold: null,
    });
    const pinned = await readJob(job.id);
    expect(new Date(pinned.expires_at!).getTime()).toBeGreaterThan(Date.now());
    expect(await kickSweep()).not.toContain(job.id);
    // Unpinned, its period has run out: the next sweep expires it.
    await keepExport({ user: { supabase: adminUser.client } }, job.id, { until: null });
    expect(await kickSweep()).toContain(job.id);
    await waitForJob(job.id, (j) => j.expired_at !== null);
    expect(await storedKeys(job)).toEqual([]);
  }, 180_000);
});
