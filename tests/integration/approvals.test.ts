import { randomUUID } from 'node:crypto';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideExportApproval } from '../../lib/approvals/decide-export-approval';
import { retryExport } from '../../lib/exports/retry-export';
import { startExport } from '../../lib/exports/start-export';
import { updateOrganisationSettings } from '../../lib/retention/organisation-settings';
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
 * Large exports (issue 24): above the organisation's threshold a new export waits for an admin — no
 * worker starts, not even from the sweep — and every admin is notified; an admin's approval starts it,
 * a decline ends it with the reason; members cannot decide; below the threshold nothing changes.
 */
const COLLECTION = 'approval_posts';
const PORTAL = 25;
const RECORDS = 600;
const THRESHOLD = 500;

let db: pg.Pool;
let member: Tenant;
let admins: Array<{ userId: string; client: SupabaseClient }>;
let sourceId: string;
const admin = serviceClient();

type User = { client: SupabaseClient; userId: string };
const deps = (user: User) => ({
  user: { supabase: user.client, userId: user.userId },
  admin,
  typesense: appTypesense(),
  storedSize: storedSizes(),
});

async function addAdmin(organisationId: string): Promise<User> {
  const email = `approval-admin-${randomUUID().slice(0, 8)}@example.test`;
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

const memberUser = (): User => ({ client: member.client, userId: member.userId });

async function events(jobId: string) {
  const { rows } = await db.query<{ kind: string; actor: string | null; detail: Record<string, unknown> }>(
    'select kind, actor, detail from public.export_events where job_id = $1 order by id',
    [jobId],
  );
  return rows;
}

async function invocations(jobId: string): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    'select count(*) as n from public.export_invocations where job_id = $1',
    [jobId],
  );
  return Number(rows[0]!.n);
}

/** An export above the threshold, left waiting; two sweeps pass over it, as pg_cron would. */
async function waitingExport() {
  const job = await startExport(deps(memberUser()), { sourceId, format: 'csv', fields: testFields });
  expect(job.estimated_rows).toBeGreaterThan(THRESHOLD);
  await kickSweep();
  await kickSweep();
  return job;
}

beforeAll(async () => {
  db = superuserPool();
  await seedCollection(COLLECTION, RECORDS, { portalId: PORTAL });
  member = await createTenant(db, 'Approval agency');
  admins = [await addAdmin(member.organisationId), await addAdmin(member.organisationId)];
  sourceId = await createSource(db, member.organisationId, COLLECTION, `portal_id:=${PORTAL}`);
  await updateOrganisationSettings(admins[0]!.client, member.organisationId, {
    retentionDays: 30,
    approvalThreshold: THRESHOLD,
  });
}, 180_000);

afterAll(() => db.end());

describe('approvals', () => {
  it('an export above the threshold waits: no worker starts, every admin is notified, the activity says so', async () => {
    const job = await waitingExport();
    const waiting = await readJob(job.id);
    expect(waiting).toMatchObject({ status: 'queued', approval: 'pending', shards_written: 0 });
    expect(await invocations(job.id)).toBe(0);
    const { rows } = await db.query<{ user_id: string; title: string }>(
      `select user_id, title from public.notifications where job_id = $1 and kind = 'export_approval_requested' order by user_id`,
      [job.id],
    );
    expect(rows.map((r) => r.user_id)).toEqual(admins.map((a) => a.userId).sort());
    expect(rows[0]!.title).toBe(`Approval needed: ${waiting.name}`);
    expect(await events(job.id)).toEqual([
      {
        kind: 'approval_requested',
        actor: member.userId,
        detail: { estimated_rows: job.estimated_rows, threshold: THRESHOLD },
      },
    ]);
  }, 120_000);

  it('an admin’s approval starts it, and it runs to the end', async () => {
    const job = await waitingExport();
    const approved = await decideExportApproval(deps(admins[1]!), job.id, { decision: 'approve' });
    expect(approved.approval).toBe('approved');
    const done = await waitForJob(job.id, (j) => j.status === 'completed', { timeoutMs: 120_000, sweep: true });
    expect(done.rows_written).toBe(RECORDS);
    expect((await events(job.id)).map((e) => [e.kind, e.actor])).toEqual([
      ['approval_requested', member.userId],
      ['approved', admins[1]!.userId],
      ['completed', null],
    ]);
  }, 180_000);

  it('a decline ends it cancelled with the reason, in the activity and in the requester’s notification', async () => {
    const job = await waitingExport();
    const reason = 'Too large for this month; split it by state.';
    const declined = await decideExportApproval(deps(admins[0]!), job.id, { decision: 'decline', reason });
    expect(declined).toMatchObject({ status: 'cancelled', approval: 'declined', approval_reason: reason });
    expect(await invocations(job.id)).toBe(0);
    expect((await events(job.id)).map((e) => [e.kind, e.detail.reason ?? null])).toEqual([
      ['approval_requested', null],
      ['declined', reason],
      ['cancelled', null],
    ]);
    const { rows } = await db.query<{ title: string; body: string }>(
      `select title, body from public.notifications where job_id = $1 and user_id = $2 and kind = 'export_cancelled'`,
      [job.id, member.userId],
    );
    expect(rows).toEqual([
      {
        title: `Export declined: ${declined.name}`,
        body: expect.stringContaining(`An admin declined it: ${reason}`) as string,
      },
    ]);
    // A re-run would start it without approval: refused; "Run again" (a new export) asks again.
    await expect(retryExport(deps(memberUser()), job.id, {})).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('An admin declined this export') as string,
    });
    // Decided once: a second decision is a conflict.
    await expect(decideExportApproval(deps(admins[1]!), job.id, { decision: 'approve' })).rejects.toMatchObject({
      code: 'conflict',
    });
  }, 120_000);

  it('a member can neither decide nor change the threshold: 403, nothing changes', async () => {
    const job = await waitingExport();
    await expect(decideExportApproval(deps(memberUser()), job.id, { decision: 'approve' })).rejects.toMatchObject({
      code: 'forbidden',
      message: 'Only an admin of this organisation can approve or decline a large export. Ask one of its admins.',
    });
    await expect(
      updateOrganisationSettings(member.client, member.organisationId, { retentionDays: 30, approvalThreshold: null }),
    ).rejects.toMatchObject({ code: 'forbidden' });
    // Straight to the database, as supabase-js would: the same refusal.
    const direct = await member.client.rpc('decide_export_approval', { p_job_id: job.id, p_approve: true });
    expect(direct.error).toMatchObject({ code: '42501' });
    expect(await readJob(job.id)).toMatchObject({ status: 'queued', approval: 'pending' });
    const { rows } = await db.query<{ approval_threshold: string }>(
      'select approval_threshold from public.organisations where id = $1',
      [member.organisationId],
    );
    expect(Number(rows[0]!.approval_threshold)).toBe(THRESHOLD);
  }, 120_000);

  it('at or below the threshold nothing changes: it starts at once', async () => {
    const job = await startExport(deps(memberUser()), {
      sourceId,
      format: 'csv',
      fields: testFields,
      filter: 'state:=DRAFT',
    });
    expect(job.estimated_rows).toBeLessThanOrEqual(THRESHOLD);
    expect(job.approval).toBeNull();
    const done = await waitForJob(job.id, (j) => j.status === 'completed', { timeoutMs: 120_000, sweep: true });
    expect(done.rows_written).toBe(job.estimated_rows);
    expect((await events(job.id)).map((e) => e.kind)).toEqual(['completed']);
  }, 120_000);
});
