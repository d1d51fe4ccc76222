import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testStack } from './stack-info';

/**
 * The job state machine, straight against Postgres as the service role (what the worker and the API
 * routes use through RPC): leases and fencing, manifest continuity, cancel, retries, the sweep, and
 * exactly-once notifications.
 */
const stack = testStack();
const db = new pg.Pool({ connectionString: stack.pgConnectionString, max: 4 });

type Json = Record<string, unknown>;

async function asService<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
  const client = await db.connect();
  try {
    await client.query('begin');
    await client.query(
      "select set_config('role', 'service_role', true), set_config('request.jwt.claims', '{\"role\":\"service_role\"}', true)",
    );
    const { rows } = await client.query<T>(sql, params);
    await client.query('commit');
    return rows;
  } catch (error) {
    await client.query('rollback');
    throw error;
  } finally {
    client.release();
  }
}

async function rpc(fn: string, args: unknown[]): Promise<Json> {
  const placeholders = args.map((_, i) => `$${i + 1}`).join(', ');
  const rows = await asService<{ result: Json }>(`select to_jsonb(${fn}(${placeholders})) as result`, args);
  return rows[0]!.result;
}

let orgId: string;
let userId: string;
let sourceId: string;

async function newJob(overrides: Partial<{ max_attempts: number }> = {}): Promise<string> {
  const [row] = await asService<{ id: string }>(
    `insert into public.export_jobs (organisation_id, source_id, requested_by, collection, key_field, fields, format, estimated_rows, max_attempts)
     values ($1, $2, $3, 'blog_posts', 'hs_object_id', '{hs_object_id,title}', 'csv', 1000, $4) returning id`,
    [orgId, sourceId, userId, overrides.max_attempts ?? 5],
  );
  return row!.id;
}

const sha = 'a'.repeat(64);

function shardArgs(jobId: string, lease: Json, shardNo: number, after: number | null, last: number): unknown[] {
  return [
    jobId,
    lease.invocation_id,
    lease.generation,
    shardNo,
    after,
    last,
    250,
    1000,
    30,
    sha,
    `k/${shardNo}`,
    5,
    false,
  ];
}
const RECORD = 'public.record_export_shard';
const RECORD_SIG = `${RECORD}($1::uuid, $2::uuid, $3::bigint, $4::int, $5::bigint, $6::bigint, $7::int, $8::bigint, $9::int, $10::text, $11::text, $12::int, $13::boolean)`;

async function record(jobId: string, lease: Json, shardNo: number, after: number | null, last: number) {
  const rows = await asService<{ result: Json }>(
    `select ${RECORD_SIG} as result`,
    shardArgs(jobId, lease, shardNo, after, last),
  );
  return rows[0]!.result;
}

async function job(jobId: string): Promise<Json> {
  // to_jsonb, as PostgREST answers: bigint columns come back as numbers.
  return (await asService<{ j: Json }>('select to_jsonb(j) as j from public.export_jobs j where id = $1', [jobId]))[0]!
    .j;
}

async function notifications(jobId: string): Promise<Json[]> {
  return asService<Json>('select kind from public.notifications where job_id = $1', [jobId]);
}

beforeAll(async () => {
  userId = randomUUID();
  await db.query(`insert into auth.users (id, email, encrypted_password) values ($1, $2, 'x')`, [
    userId,
    `${userId}@test.local`,
  ]);
  orgId = (
    await db.query<{ id: string }>(`insert into public.organisations (name) values ('State machine org') returning id`)
  ).rows[0]!.id;
  await db.query('insert into public.memberships (organisation_id, user_id) values ($1, $2)', [orgId, userId]);
  sourceId = (
    await db.query<{ id: string }>(
      `insert into public.export_sources (organisation_id, collection, label) values ($1, 'blog_posts', 'Blog posts') returning id`,
      [orgId],
    )
  ).rows[0]!.id;
});

afterAll(() => db.end());

describe('claim_export_job', () => {
  it('gives the lease to exactly one of several concurrent claims, with a growing generation', async () => {
    const jobId = await newJob();
    const claims = await Promise.all(Array.from({ length: 5 }, () => rpc('public.claim_export_job', [jobId, 60])));
    const won = claims.filter((c) => c.claimed === true);
    expect(won).toHaveLength(1);
    expect(claims.filter((c) => c.reason === 'leased')).toHaveLength(4);
    expect(won[0]!.generation).toBe(1);

    await rpc('public.hand_off_export_job', [jobId, won[0]!.invocation_id, won[0]!.generation]);
    const next = await rpc('public.claim_export_job', [jobId, 60]);
    expect(next.claimed).toBe(true);
    expect(next.generation).toBe(2);
    const invocations = await asService<Json>('select end_reason from public.export_invocations where job_id = $1', [
      jobId,
    ]);
    expect(invocations.filter((i) => i.end_reason === 'declined')).toHaveLength(4);
  });

  it('lets a new invocation take over an expired lease and marks the old one killed', async () => {
    const jobId = await newJob();
    const first = await rpc('public.claim_export_job', [jobId, 60]);
    await db.query(`update public.export_jobs set lease_expires_at = now() - interval '1 second' where id = $1`, [
      jobId,
    ]);
    const second = await rpc('public.claim_export_job', [jobId, 60]);
    expect(second.claimed).toBe(true);
    const [old] = await asService<Json>('select end_reason from public.export_invocations where id = $1', [
      first.invocation_id,
    ]);
    expect(old!.end_reason).toBe('killed');
  });
});

describe('record_export_shard', () => {
  it('accepts shards that continue the manifest and resumes the tail from it', async () => {
    const jobId = await newJob();
    const lease = await rpc('public.claim_export_job', [jobId, 60]);
    expect((await record(jobId, lease, 1, null, 250)).outcome).toBe('recorded');
    expect((await record(jobId, lease, 2, 250, 500)).outcome).toBe('recorded');
    await expect(record(jobId, lease, 4, 500, 750)).rejects.toThrow(/does not continue the manifest/);
    await expect(record(jobId, lease, 3, 499, 750)).rejects.toThrow(/does not continue the manifest/);

    await rpc('public.hand_off_export_job', [jobId, lease.invocation_id, lease.generation]);
    const next = await rpc('public.claim_export_job', [jobId, 60]);
    expect(next.tail).toEqual({ next_shard_no: 3, after_key: 500 });
    expect(await job(jobId)).toMatchObject({ shards_written: 2, rows_written: 500 });
  });

  it('fences off an invocation that lost its lease: nothing it sends is recorded', async () => {
    const jobId = await newJob();
    const stale = await rpc('public.claim_export_job', [jobId, 60]);
    await db.query(`update public.export_jobs set lease_expires_at = now() - interval '1 second' where id = $1`, [
      jobId,
    ]);
    const fresh = await rpc('public.claim_export_job', [jobId, 60]);
    expect((await record(jobId, stale, 1, null, 250)).outcome).toBe('lease_lost');
    expect(await rpc('public.finish_export_job', [jobId, stale.invocation_id, stale.generation])).toEqual({
      outcome: 'lease_lost',
    });
    expect((await record(jobId, fresh, 1, null, 250)).outcome).toBe('recorded');
    const shards = await asService<Json>('select generation::int from public.export_shards where job_id = $1', [jobId]);
    expect(shards).toEqual([{ generation: fresh.generation }]);
  });

  it('sees a cancel in the same round trip and records nothing after it', async () => {
    const jobId = await newJob();
    const lease = await rpc('public.claim_export_job', [jobId, 60]);
    await record(jobId, lease, 1, null, 250);
    const cancelled = await rpc('public.request_export_cancel', [jobId]);
    expect(cancelled.status).toBe('running');
    expect((await record(jobId, lease, 2, 250, 500)).outcome).toBe('cancel_requested');
    expect(await rpc('public.acknowledge_export_cancel', [jobId, lease.invocation_id, lease.generation])).toBe(true);
    expect(await job(jobId)).toMatchObject({ status: 'cancelled', shards_written: 1 });
    expect(await notifications(jobId)).toEqual([{ kind: 'export_cancelled' }]);
  });
});

describe('failures and retries', () => {
  it('backs off retryable failures, resets attempts after a good shard, and fails for good at the cap', async () => {
    const jobId = await newJob({ max_attempts: 3 });
    let lease = await rpc('public.claim_export_job', [jobId, 60]);
    const first = await rpc('public.fail_export_job', [
      jobId,
      lease.invocation_id,
      lease.generation,
      'source_unavailable',
      '503',
      true,
    ]);
    expect(first.outcome).toBe('retrying');
    expect(await rpc('public.claim_export_job', [jobId, 60])).toMatchObject({ claimed: false, reason: 'not_due' });

    await db.query('update public.export_jobs set next_retry_at = now() where id = $1', [jobId]);
    lease = await rpc('public.claim_export_job', [jobId, 60]);
    await record(jobId, lease, 1, null, 250);
    expect(await job(jobId)).toMatchObject({ attempts: 0, last_error: null });

    for (let attempt = 1; attempt <= 3; attempt += 1) {
      const failed = await rpc('public.fail_export_job', [
        jobId,
        lease.invocation_id,
        lease.generation,
        'storage_failed',
        'timeout',
        true,
      ]);
      expect(failed.outcome).toBe(attempt < 3 ? 'retrying' : 'failed');
      await db.query('update public.export_jobs set next_retry_at = now() where id = $1', [jobId]);
      lease = await rpc('public.claim_export_job', [jobId, 60]);
    }
    expect(lease).toMatchObject({ claimed: false, reason: 'finished' });
    expect(await job(jobId)).toMatchObject({ status: 'failed', attempts: 3 });
    expect(await notifications(jobId)).toEqual([{ kind: 'export_failed' }]);
  });

  it('fails a permanent error at once', async () => {
    const jobId = await newJob();
    const lease = await rpc('public.claim_export_job', [jobId, 60]);
    const failed = await rpc('public.fail_export_job', [
      jobId,
      lease.invocation_id,
      lease.generation,
      'bad_filter',
      'no field x',
      false,
    ]);
    expect(failed).toEqual({ outcome: 'failed', attempts: 1 });
  });
});

describe('notifications', () => {
  it('are unique per job and outcome, whatever calls finish twice', async () => {
    const jobId = await newJob();
    const lease = await rpc('public.claim_export_job', [jobId, 60]);
    await record(jobId, lease, 1, null, 250);
    expect((await rpc('public.finish_export_job', [jobId, lease.invocation_id, lease.generation])).outcome).toBe(
      'completed',
    );
    // A second finish from the same (now released) lease is refused; a direct duplicate insert is a no-op.
    expect((await rpc('public.finish_export_job', [jobId, lease.invocation_id, lease.generation])).outcome).toBe(
      'lease_lost',
    );
    await asService(
      `select private.notify_export_outcome(j, 'export_completed') from public.export_jobs j where id = $1`,
      [jobId],
    );
    expect(await notifications(jobId)).toEqual([{ kind: 'export_completed' }]);
  });
});

describe('re-runs', () => {
  it('re-runs a named shard over exactly its key range and keeps the replaced attempt', async () => {
    const jobId = await newJob();
    let lease = await rpc('public.claim_export_job', [jobId, 60]);
    await record(jobId, lease, 1, null, 250);
    await record(jobId, lease, 2, 250, 400);
    await rpc('public.finish_export_job', [jobId, lease.invocation_id, lease.generation]);

    const requeued = await rpc('public.request_export_rerun', [jobId, [1], 'missing in storage']);
    expect(requeued.status).toBe('queued');
    lease = await rpc('public.claim_export_job', [jobId, 60]);
    expect(lease.reruns).toEqual([{ shard_no: 1, key_after: null, key_last: 250 }]);
    await expect(record(jobId, lease, 1, null, 300)).rejects.toThrow(/already recorded for keys/);
    expect((await record(jobId, lease, 1, null, 250)).outcome).toBe('recorded');
    expect((await rpc('public.finish_export_job', [jobId, lease.invocation_id, lease.generation])).outcome).toBe(
      'completed',
    );

    const [shard] = await asService<Json>(
      'select attempt, status from public.export_shards where job_id = $1 and shard_no = 1',
      [jobId],
    );
    expect(shard).toEqual({ attempt: 2, status: 'written' });
    const history = await asService<Json>(
      'select attempt, replaced_because from public.export_shard_attempts where job_id = $1',
      [jobId],
    );
    expect(history).toEqual([{ attempt: 1, replaced_because: 'missing in storage' }]);
  });

  it('refuses a re-run of a job that is still running', async () => {
    const jobId = await newJob();
    await rpc('public.claim_export_job', [jobId, 60]);
    await expect(rpc('public.request_export_rerun', [jobId, [], null])).rejects.toThrow(/still running/);
  });
});

describe('sweep_export_jobs', () => {
  it('returns jobs whose lease expired and settles cancels nobody is working on', async () => {
    const killed = await newJob();
    await rpc('public.claim_export_job', [killed, 60]);
    await db.query(`update public.export_jobs set lease_expires_at = now() - interval '1 second' where id = $1`, [
      killed,
    ]);

    const abandoned = await newJob();
    await rpc('public.claim_export_job', [abandoned, 60]);
    await db.query(
      `update public.export_jobs set lease_expires_at = now() - interval '1 second', cancel_requested_at = now() where id = $1`,
      [abandoned],
    );

    const swept = (await asService<{ job_id: string }>('select job_id from public.sweep_export_jobs()')).map(
      (r) => r.job_id,
    );
    expect(swept).toContain(killed);
    expect(swept).not.toContain(abandoned);
    expect(await job(abandoned)).toMatchObject({ status: 'cancelled' });
    expect(await notifications(abandoned)).toEqual([{ kind: 'export_cancelled' }]);
  });
});

describe('privileges', () => {
  it('does not let a signed-in user run the state machine directly', async () => {
    const client = await db.connect();
    try {
      await client.query('begin');
      await client.query(
        "select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)",
        [JSON.stringify({ role: 'authenticated', sub: userId })],
      );
      await expect(client.query('select public.claim_export_job($1, 60)', [randomUUID()])).rejects.toThrow(
        /permission denied/,
      );
    } finally {
      await client.query('rollback');
      client.release();
    }
  });
});
