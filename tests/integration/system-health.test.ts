import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError, errorResponse } from '../../lib/api/app-error';
import { readSystemHealth } from '../../lib/system/read-system-health';
import type { OrganisationHealth } from '../../lib/system/system-health';
import { serviceClient } from './clients';
import { createSource, createTenant, superuserPool, type Tenant } from './export-fixtures';

/**
 * System health (`public.system_health()`, migration 20261211003100): support and admins only, and only
 * about their own organisations. Two agencies get the same kinds of rows — a leased lane, queued and
 * retrying lanes, invocations, failures, stored shards — with different numbers, so any figure that
 * reached across organisations would show up as a wrong count.
 */
let db: pg.Pool;
const admin = serviceClient();
/** Agency A: its support user, a member, a viewer and an admin. */
let a: Tenant;
let aMember: Tenant;
let aViewer: Tenant;
let aAdmin: Tenant;
/** Agency B: one support user, more of everything. */
let b: Tenant;

async function joinAs(tenant: Tenant, organisationId: string, role: string) {
  await db.query('insert into public.memberships (organisation_id, user_id, role) values ($1, $2, $3)', [
    organisationId,
    tenant.userId,
    role,
  ]);
}

/** A job of the organisation with `lanes` lanes, inserted as the API does; no worker is kicked. */
async function job(tenant: Tenant, name: string, lanes: number): Promise<string> {
  const sourceId = await createSource(db, tenant.organisationId, `health_${randomUUID().slice(0, 8)}`, null);
  const bounds = Array.from({ length: lanes - 1 }, (_, i) => (i + 1) * 1000);
  const { rows } = await db.query<{ id: string }>(
    `insert into public.export_jobs (organisation_id, source_id, requested_by, collection, key_field, fields, format,
       estimated_rows, lane_bounds, name)
     values ($1, $2, $3, 'posts', 'hs_object_id', '{hs_object_id}', 'csv', 100, $4, $5) returning id`,
    [tenant.organisationId, sourceId, tenant.userId, bounds, name],
  );
  return rows[0]!.id;
}

/** A lease held by a worker that is alive (expires in ten minutes). */
async function lease(jobId: string, laneNo: number) {
  await db.query(
    `update public.export_lanes set status = 'running', lease_owner = gen_random_uuid(),
       lease_expires_at = now() + interval '10 minutes' where job_id = $1 and lane_no = $2`,
    [jobId, laneNo],
  );
  await db.query(`update public.export_jobs set status = 'running' where id = $1`, [jobId]);
}

async function failures(jobId: string, kind: string, count: number, ago = '0 seconds') {
  for (let i = 0; i < count; i += 1) {
    await db.query(
      `insert into public.export_shard_failures (job_id, run_no, lane, lane_seq, attempt, max_attempts, error_kind,
         error, outcome, failed_at)
       values ($1, 1, 1, 1, $2, 5, $3, 'raw text', 'retrying', now() - $4::interval)`,
      [jobId, i + 1, kind, ago],
    );
  }
}

async function invocations(jobId: string, count: number, endReason: string | null, ago = '0 seconds') {
  for (let i = 0; i < count; i += 1) {
    await db.query(
      `insert into public.export_invocations (job_id, lane_no, started_at, end_reason, ended_at)
       values ($1, 1, now() - $2::interval, $3, case when $3::text is null then null else now() end)`,
      [jobId, ago, endReason],
    );
  }
}

async function shard(jobId: string, shardNo: number, bytes: number, gzipBytes: number | null = null) {
  await db.query(
    `insert into public.export_shards (job_id, shard_no, key_after, key_last, rows, bytes, header_bytes, sha256,
       storage_key, generation, invocation_id, lane, lane_seq, encoding, gzip_bytes, gzip_header_bytes, gzip_sha256)
     values ($1, $2, $2 * 10 - 10, $2 * 10, 10, $3, 13, repeat('a', 64), 'k/' || $2, 1, gen_random_uuid(), 1, $2,
       $4, $5, $6, $7)`,
    [
      jobId,
      shardNo,
      bytes,
      gzipBytes === null ? 'identity' : 'gzip',
      gzipBytes,
      gzipBytes === null ? null : 20,
      gzipBytes === null ? null : 'b'.repeat(64),
    ],
  );
}

beforeAll(async () => {
  db = superuserPool();
  a = await createTenant(db, 'Health agency A');
  b = await createTenant(db, 'Health agency B');
  await db.query(`update public.memberships set role = 'support' where user_id = any($1)`, [[a.userId, b.userId]]);
  aMember = await createTenant(db, 'Health member');
  aViewer = await createTenant(db, 'Health viewer');
  aAdmin = await createTenant(db, 'Health admin');
  await joinAs(aMember, a.organisationId, 'member');
  await joinAs(aViewer, a.organisationId, 'viewer');
  await joinAs(aAdmin, a.organisationId, 'admin');

  // A: 2 of 3 lanes leased, 1 queued; a queued 2-lane job; a retrying lane.
  const aRunning = await job(a, 'A running', 3);
  await lease(aRunning, 1);
  await lease(aRunning, 2);
  const aQueued = await job(a, 'A queued', 2);
  const aRetrying = await job(a, 'A retrying', 1);
  await db.query(
    `update public.export_lanes set status = 'retrying', next_retry_at = now() + interval '1 hour' where job_id = $1`,
    [aRetrying],
  );
  await db.query(`update public.export_jobs set status = 'retrying' where id = $1`, [aRetrying]);
  await failures(aRunning, 'source_unavailable', 2);
  await failures(aRetrying, 'storage_failed', 1);
  await failures(aRunning, 'storage_failed', 4, '2 hours');
  await invocations(aRunning, 3, 'handoff');
  await invocations(aQueued, 1, 'declined');
  await invocations(aRunning, 5, 'handoff', '5 minutes');
  await shard(aRunning, 1, 1000);
  await shard(aRunning, 2, 5000, 700);

  // B: more of everything.
  const bRunning = await job(b, 'B running', 4);
  for (const lane of [1, 2, 3, 4]) await lease(bRunning, lane);
  await failures(bRunning, 'schema_mismatch', 7);
  await invocations(bRunning, 9, null);
  await shard(bRunning, 1, 999_999);
});

afterAll(async () => {
  // The jobs are not real: gone with their organisations, so no later sweep kicks a worker for them.
  await db.query('delete from public.organisations where id = any($1)', [[a.organisationId, b.organisationId]]);
  await db.end();
});

const onlyOrganisation = async (tenant: Tenant): Promise<OrganisationHealth> => {
  const health = await readSystemHealth(tenant.client);
  expect(health.organisations.map((o) => o.id)).toEqual([tenant.organisationId]);
  return health.organisations[0]!;
};

describe('system health', () => {
  it('gives support the figures of their own organisation, exactly, and nothing of another', async () => {
    const health = await readSystemHealth(a.client);
    expect(health.caps).toEqual({ max_running_lanes: 16, max_running_lanes_per_org: 8 });
    expect(health.organisations).toEqual([
      {
        id: a.organisationId,
        name: 'Health agency A',
        role: 'support',
        running_lanes: 2,
        queued_lanes: 3,
        retrying_lanes: 1,
        exports: { queued: 1, running: 1, retrying: 1, stored: 1 },
        invocations_last_minute: 3,
        declined_last_minute: 1,
        errors_last_hour: 3,
        errors_by_kind: [
          { kind: 'source_unavailable', count: 2 },
          { kind: 'storage_failed', count: 1 },
        ],
        exports_with_errors: [
          { id: expect.any(String) as string, name: 'A running', count: 2 },
          { id: expect.any(String) as string, name: 'A retrying', count: 1 },
        ],
        // 1,000 plain + a gzip shard stored as its 700 gzip bytes.
        storage_bytes: 1700,
      },
    ]);
    // The other agency's support sees theirs only.
    expect(await onlyOrganisation(b)).toMatchObject({
      name: 'Health agency B',
      running_lanes: 4,
      invocations_last_minute: 9,
      errors_last_hour: 7,
      storage_bytes: 999_999,
    });
  });

  it('gives an admin the same, and someone support in two organisations both, each apart', async () => {
    // An admin of A (and a member of an organisation of their own, which is not counted).
    const asAdmin = await readSystemHealth(aAdmin.client);
    expect(asAdmin.organisations).toMatchObject([
      { id: a.organisationId, role: 'admin', running_lanes: 2, storage_bytes: 1700 },
    ]);
    await joinAs(a, b.organisationId, 'support');
    try {
      const health = await readSystemHealth(a.client);
      expect(health.organisations.map((o) => [o.name, o.running_lanes, o.storage_bytes])).toEqual([
        ['Health agency A', 2, 1700],
        ['Health agency B', 4, 999_999],
      ]);
    } finally {
      await db.query('delete from public.memberships where organisation_id = $1 and user_id = $2', [
        b.organisationId,
        a.userId,
      ]);
    }
  });

  it('counts only the organisations where the caller is support or admin, not those they are a member of', async () => {
    await joinAs(a, b.organisationId, 'member');
    try {
      await onlyOrganisation(a);
    } finally {
      await db.query('delete from public.memberships where organisation_id = $1 and user_id = $2', [
        b.organisationId,
        a.userId,
      ]);
    }
  });

  it.each([
    ['member', () => aMember, 'member'],
    ['viewer', () => aViewer, 'member or viewer'],
  ])('refuses a %s: 403 with a sentence naming the role, and no figure', async (_name, who, roles) => {
    const error = await readSystemHealth(who().client).then(
      () => new Error('expected a refusal'),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AppError);
    const response = errorResponse(error);
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({
      error: {
        code: 'forbidden',
        message: `System health is for the support and admin roles; your role is ${roles}. Ask an admin of your organisation if you need it.`,
      },
    });
  });

  it('reads when the sweep last ran and the deadlocks of the last hour', async () => {
    const before = await db.query<{ now: Date }>('select now()');
    const { error } = await admin.rpc('sweep_export_jobs');
    expect(error).toBeNull();
    // A run 59 minutes ago saw three deadlocks fewer than Postgres counts now.
    await db.query(
      `insert into private.export_sweep_runs (ran_at, deadlocks)
       select now() - interval '59 minutes', d.deadlocks - 3 from pg_stat_database d where d.datname = current_database()`,
    );
    const health = await readSystemHealth(a.client);
    expect(Date.parse(health.sweep.last_run_at!)).toBeGreaterThanOrEqual(before.rows[0]!.now.getTime());
    expect(health.deadlocks.count).toBe(3);
    expect(Date.parse(health.deadlocks.since!)).toBeLessThan(Date.parse(health.generated_at) - 58 * 60_000);
    // Runs older than two hours are dropped by the next sweep.
    await db.query(`insert into private.export_sweep_runs (ran_at, deadlocks) values (now() - interval '3 hours', 0)`);
    await admin.rpc('sweep_export_jobs');
    const { rows } = await db.query(
      `select count(*)::int as old from private.export_sweep_runs where ran_at < now() - interval '2 hours'`,
    );
    expect(rows[0]).toEqual({ old: 0 });
  });
});
