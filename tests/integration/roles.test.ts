import { randomUUID } from 'node:crypto';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../lib/api/app-error';
import { cancelExport } from '../../lib/exports/cancel-export';
import { retryExport } from '../../lib/exports/retry-export';
import { startExport } from '../../lib/exports/start-export';
import { serviceClient, storedSizes } from './clients';
import { createSource, createTenant, superuserPool, appTypesense, type Tenant } from './export-fixtures';
import { testStack } from './stack-info';

/**
 * Roles mean something (issue 11.6): a viewer sees and downloads; members (and support, admins) start,
 * cancel, re-run and verify. The database enforces it — the API's domain functions get a 403 from it,
 * and a viewer calling the database directly is refused too.
 */
let db: pg.Pool;
let member: Tenant;
let viewer: { userId: string; client: SupabaseClient };
let sourceId: string;
const admin = serviceClient();

async function addUser(organisationId: string, role: string) {
  const email = `${role}-${randomUUID().slice(0, 8)}@example.test`;
  const password = 'correct horse battery';
  const created = await admin.auth.admin.createUser({ email, password, email_confirm: true });
  if (created.error) throw created.error;
  await db.query('insert into public.memberships (organisation_id, user_id, role) values ($1, $2, $3)', [
    organisationId,
    created.data.user.id,
    role,
  ]);
  const client = createClient(testStack().apiUrl, testStack().publishableKey, {
    auth: { persistSession: false, autoRefreshToken: false },
  });
  const signedIn = await client.auth.signInWithPassword({ email, password });
  if (signedIn.error) throw signedIn.error;
  return { userId: created.data.user.id, client };
}

/** A queued job started by the member (as the API would insert it). */
async function queuedJob(): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `insert into public.export_jobs (organisation_id, source_id, requested_by, collection, key_field, fields, format,
       estimated_rows)
     values ($1, $2, $3, 'roles_posts', 'hs_object_id', '{hs_object_id}', 'csv', 10) returning id`,
    [member.organisationId, sourceId, member.userId],
  );
  return rows[0]!.id;
}

const deps = (user: { client: SupabaseClient; userId: string }) => ({
  user: { supabase: user.client, userId: user.userId },
  admin,
  typesense: appTypesense(),
  storedSize: storedSizes(),
});

const forbidden = (message: RegExp) =>
  expect.objectContaining({ code: 'forbidden', message: expect.stringMatching(message) as string });

beforeAll(async () => {
  db = superuserPool();
  member = await createTenant(db, 'Roles agency');
  sourceId = await createSource(db, member.organisationId, 'roles_posts', 'portal_id:=1');
  viewer = await addUser(member.organisationId, 'viewer');
});

afterAll(() => db.end());

describe('a viewer', () => {
  it('sees the organisation’s exports', async () => {
    const jobId = await queuedJob();
    const { data, error } = await viewer.client.from('export_jobs').select('id').eq('id', jobId);
    expect(error).toBeNull();
    expect(data).toEqual([{ id: jobId }]);
  });

  it('cannot start an export: 403 with the reason, and nothing is written', async () => {
    const before = await db.query('select count(*)::int as n from public.export_jobs where organisation_id = $1', [
      member.organisationId,
    ]);
    const attempt = startExport(deps(viewer), { sourceId, format: 'csv', fields: ['hs_object_id'] });
    await expect(attempt).rejects.toBeInstanceOf(AppError);
    await expect(attempt).rejects.toEqual(forbidden(/^Your role in this organisation is viewer: .*member role/));
    const after = await db.query('select count(*)::int as n from public.export_jobs where organisation_id = $1', [
      member.organisationId,
    ]);
    expect(after.rows[0]).toEqual(before.rows[0]);
  });

  it('cannot cancel: 403, and the job is untouched', async () => {
    const jobId = await queuedJob();
    await expect(cancelExport(deps(viewer), jobId)).rejects.toEqual(forbidden(/viewer/));
    const { rows } = await db.query('select status, cancel_requested_at from public.export_jobs where id = $1', [
      jobId,
    ]);
    expect(rows[0]).toEqual({ status: 'queued', cancel_requested_at: null });
  });

  it('cannot re-run or verify: 403', async () => {
    const jobId = await queuedJob();
    await cancelExport(deps({ client: member.client, userId: member.userId }), jobId);
    await expect(retryExport(deps(viewer), jobId, { dryRun: true, verify: 'size' })).rejects.toEqual(
      forbidden(/viewer/),
    );
    await expect(retryExport(deps(viewer), jobId, {})).rejects.toEqual(forbidden(/viewer/));
  });

  it('is refused by the database itself, whatever client asks', async () => {
    const jobId = await queuedJob();
    // Straight to the database functions, past the API.
    const cancel = await viewer.client.rpc('cancel_export', { p_job_id: jobId });
    expect(cancel.error).toMatchObject({ code: '42501' });
    const rerun = await viewer.client.rpc('rerun_export', { p_job_id: jobId, p_shard_nos: [], p_reasons: [] });
    expect(rerun.error).toMatchObject({ code: '42501' });
    const internal = await viewer.client.rpc('request_export_cancel', { p_job_id: jobId });
    expect(internal.error?.message).toMatch(/permission denied/);
    // A job naming a viewer as the one who started it is refused, even through the service role.
    const insert = await admin.from('export_jobs').insert({
      organisation_id: member.organisationId,
      source_id: sourceId,
      requested_by: viewer.userId,
      collection: 'roles_posts',
      key_field: 'hs_object_id',
      fields: ['hs_object_id'],
      format: 'csv',
    });
    expect(insert.error).toMatchObject({ code: '42501' });
  });
});

describe('a member', () => {
  it('cancels and plans a re-run (the same calls that refuse a viewer)', async () => {
    const jobId = await queuedJob();
    const cancelled = await cancelExport(deps({ client: member.client, userId: member.userId }), jobId);
    expect(cancelled.status).toBe('cancelled');
    const { plan } = await retryExport(deps({ client: member.client, userId: member.userId }), jobId, {
      dryRun: true,
      verify: 'none',
    });
    expect(plan.tail).toBe(true);
  });

  it('of another organisation gets a 404 for the job, not a 403', async () => {
    const jobId = await queuedJob();
    const stranger = await createTenant(db, 'Other agency');
    const { error } = await stranger.client.rpc('cancel_export', { p_job_id: jobId });
    expect(error).toMatchObject({ code: 'PT404' });
    await expect(cancelExport(deps({ client: stranger.client, userId: stranger.userId }), jobId)).rejects.toMatchObject(
      { code: 'not_found' },
    );
  });
});
