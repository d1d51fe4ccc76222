import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type Json,
  type Lease,
  leaseArgs,
  leaseOf,
  recordStatement,
  sha,
  type ShardArgs,
  stateMachineCalls,
} from './state-machine-calls';
import { testStack } from './stack-info';

/**
 * The job state machine, straight against Postgres as the service role (what the worker and the API
 * routes use through RPC): lanes and their leases, fencing, heartbeats and takeovers, warm hand-offs,
 * caps, manifest continuity, cancel, retries, re-runs, the sweep, and exactly-once notifications.
 */
const stack = testStack();
const db = new pg.Pool({ connectionString: stack.pgConnectionString, max: 8 });

const { asService, rpc } = stateMachineCalls(db);

let orgId: string;
let userId: string;
let sourceId: string;

async function newUser(): Promise<string> {
  const id = randomUUID();
  await db.query(`insert into auth.users (id, email, encrypted_password) values ($1, $2, 'x')`, [
    id,
    `${id}@test.local`,
  ]);
  return id;
}

async function newJob(
  options: { maxAttempts?: number; bounds?: number[]; org?: string; requestedBy?: string } = {},
): Promise<string> {
  const [row] = await asService<{ id: string }>(
    `insert into public.export_jobs (organisation_id, source_id, requested_by, collection, key_field, fields, format,
       estimated_rows, max_attempts, lane_bounds)
     values ($1, $2, $3, 'blog_posts', 'hs_object_id', '{hs_object_id,title}', 'csv', 1000, $4, $5) returning id`,
    [
      options.org ?? orgId,
      sourceId,
      // The requester must be allowed to start exports in the job's organisation (check_export_requester): the
      // test user belongs to the first organisation only; another organisation's job is started by nobody.
      options.requestedBy ?? (options.org ? null : userId),
      options.maxAttempts ?? 5,
      options.bounds ?? [],
    ],
  );
  return row!.id;
}

async function claim(jobId: string, lane: number | null = null, budget: Json | null = null): Promise<Json> {
  return rpc('public.claim_export_lane', [jobId, lane, 60, budget]);
}

async function record(l: Lease, shard: ShardArgs, options: { pass?: boolean } = {}): Promise<Json> {
  const rows = await asService<{ result: Json }>(...recordStatement(l, shard, options));
  return rows[0]!.result;
}

async function job(jobId: string): Promise<Json> {
  // to_jsonb, as PostgREST answers: bigint columns come back as numbers.
  return (await asService<{ j: Json }>('select to_jsonb(j) as j from public.export_jobs j where id = $1', [jobId]))[0]!
    .j;
}

async function lane(jobId: string, laneNo: number): Promise<Json> {
  return (
    await asService<{ l: Json }>(
      'select to_jsonb(l) as l from public.export_lanes l where job_id = $1 and lane_no = $2',
      [jobId, laneNo],
    )
  )[0]!.l;
}

async function notifications(jobId: string): Promise<Json[]> {
  return asService<Json>('select kind, run_no from public.notifications where job_id = $1 order by created_at', [
    jobId,
  ]);
}

async function expireLease(jobId: string, laneNo: number): Promise<void> {
  await db.query(
    `update public.export_lanes set lease_expires_at = now() - interval '1 second' where job_id = $1 and lane_no = $2`,
    [jobId, laneNo],
  );
}

async function setCaps(global: number, perOrg: number): Promise<void> {
  await db.query('update private.export_settings set max_running_lanes = $1, max_running_lanes_per_org = $2', [
    global,
    perOrg,
  ]);
}

async function newOrg(name: string): Promise<{ org: string; source: string }> {
  const org = (
    await db.query<{ id: string }>(`insert into public.organisations (name) values ($1) returning id`, [name])
  ).rows[0]!.id;
  const source = (
    await db.query<{ id: string }>(
      `insert into public.export_sources (organisation_id, collection, label) values ($1, 'blog_posts', 'Blog posts') returning id`,
      [org],
    )
  ).rows[0]!.id;
  return { org, source };
}

beforeAll(async () => {
  userId = await newUser();
  ({ org: orgId, source: sourceId } = await newOrg('State machine org'));
  await db.query('insert into public.memberships (organisation_id, user_id) values ($1, $2)', [orgId, userId]);
});

// Lanes left running or waiting by earlier tests would count against the caps and compete for slots:
// every test starts with all earlier jobs ended.
beforeEach(async () => {
  await db.query(
    `update public.export_lanes set status = 'cancelled', lease_owner = null, lease_expires_at = null, heir = null
     where status in ('queued', 'running', 'retrying')`,
  );
  await db.query(
    `update public.export_jobs set status = 'cancelled' where status in ('queued', 'running', 'retrying')`,
  );
});
afterEach(() => setCaps(16, 8));
afterAll(() => db.end());

describe('lanes', () => {
  it('are created with the job from its bounds, each with its own key range and share of the estimate', async () => {
    const jobId = await newJob({ bounds: [1250, 1500, 1750] });
    const lanes = await asService<Json>(
      'select lane_no, key_after, key_upper, estimated_rows, status from public.export_lanes where job_id = $1 order by lane_no',
      [jobId],
    );
    expect(lanes).toEqual([
      { lane_no: 1, key_after: null, key_upper: '1250', estimated_rows: '250', status: 'queued' },
      { lane_no: 2, key_after: '1250', key_upper: '1500', estimated_rows: '250', status: 'queued' },
      { lane_no: 3, key_after: '1500', key_upper: '1750', estimated_rows: '250', status: 'queued' },
      { lane_no: 4, key_after: '1750', key_upper: null, estimated_rows: '250', status: 'queued' },
    ]);
    expect(await job(jobId)).toMatchObject({ lane_count: 4, status: 'queued' });
    expect(((await job(jobId)).lanes as Json[]).map((l) => l.estimated)).toEqual([250, 250, 250, 250]);
  });

  it('refuses bounds that are not strictly ascending or more than 8 lanes', async () => {
    await expect(newJob({ bounds: [5, 5] })).rejects.toThrow(/check constraint/);
    await expect(newJob({ bounds: [1, 2, 3, 4, 5, 6, 7, 8] })).rejects.toThrow(/check constraint/);
  });

  it('each take their own lease: one claim per lane wins, the rest are declined', async () => {
    const jobId = await newJob({ bounds: [500] });
    const claims = await Promise.all(Array.from({ length: 6 }, () => claim(jobId)));
    const won = claims.filter((c) => c.claimed === true);
    expect(won.map((c) => (c.lane as Json).lane_no).sort()).toEqual([1, 2]);
    expect(claims.filter((c) => c.reason === 'leased')).toHaveLength(4);
    expect(await job(jobId)).toMatchObject({ status: 'running' });

    const first = leaseOf(
      jobId,
      won.find((c) => (c.lane as Json).lane_no === 1)!,
    );
    const handedOff = await rpc('public.hand_off_export_lane', leaseArgs(first));
    expect(handedOff).toMatchObject({ outcome: 'released', kick: [{ job_id: jobId, lane_no: 1 }] });
    const next = await claim(jobId, 1);
    expect(next).toMatchObject({ claimed: true, generation: 2 });
  });
});

describe('record_export_shard', () => {
  it('continues each lane independently, numbers shards job-wide and resumes each lane from its cursor', async () => {
    const jobId = await newJob({ bounds: [1000] });
    const one = leaseOf(jobId, await claim(jobId, 1));
    const two = leaseOf(jobId, await claim(jobId, 2));
    expect(await record(two, { seq: 1, after: 1000, last: 1250 })).toMatchObject({ outcome: 'recorded', shard_no: 1 });
    expect(await record(one, { seq: 1, after: null, last: 250 })).toMatchObject({ outcome: 'recorded', shard_no: 2 });
    expect(await record(one, { seq: 2, after: 250, last: 500 })).toMatchObject({ shard_no: 3 });
    await expect(record(one, { seq: 4, after: 500, last: 750 })).rejects.toThrow(/does not continue the lane/);
    await expect(record(one, { seq: 3, after: 499, last: 750 })).rejects.toThrow(/does not continue the lane/);
    // Past the lane's upper bound.
    await expect(record(one, { seq: 3, after: 500, last: 1100 })).rejects.toThrow(/does not continue the lane/);

    await rpc('public.hand_off_export_lane', leaseArgs(one));
    const resumed = await claim(jobId, 1);
    expect(resumed.lane).toMatchObject({ lane_no: 1, cursor_key: 500, next_seq: 3, key_upper: 1000 });
    expect(await job(jobId)).toMatchObject({ shards_written: 3, rows_written: 750 });
  });

  it('renews the lease with every shard (the heartbeat)', async () => {
    const jobId = await newJob();
    const l = leaseOf(jobId, await claim(jobId));
    await db.query(`update public.export_lanes set lease_expires_at = now() + interval '2 seconds' where job_id = $1`, [
      jobId,
    ]);
    await record(l, { seq: 1, after: null, last: 250 });
    const renewed = await lane(jobId, 1);
    expect(new Date(renewed.lease_expires_at as string).getTime()).toBeGreaterThan(Date.now() + 50_000);
    const [inv] = await asService<Json>('select last_heartbeat_at from public.export_invocations where id = $1', [
      l.invocation,
    ]);
    expect(inv!.last_heartbeat_at).not.toBeNull();
  });

  it('fences off an invocation that lost its lease: nothing it sends is recorded', async () => {
    const jobId = await newJob();
    const stale = leaseOf(jobId, await claim(jobId));
    await expireLease(jobId, 1);
    const fresh = leaseOf(jobId, await claim(jobId));
    expect((await record(stale, { seq: 1, after: null, last: 250 })).outcome).toBe('lease_lost');
    expect((await rpc('public.finish_export_lane', leaseArgs(stale))).outcome).toBe('lease_lost');
    expect((await record(fresh, { seq: 1, after: null, last: 250 })).outcome).toBe('recorded');
    const shards = await asService<Json>('select generation::int from public.export_shards where job_id = $1', [jobId]);
    expect(shards).toEqual([{ generation: fresh.generation }]);
  });

  it('sees a cancel in the same round trip, per lane, and cancels the job when no lane is left', async () => {
    const jobId = await newJob({ bounds: [1000] });
    const one = leaseOf(jobId, await claim(jobId, 1));
    const two = leaseOf(jobId, await claim(jobId, 2));
    await record(one, { seq: 1, after: null, last: 250 });
    expect(await rpc('public.request_export_cancel', [jobId])).toMatchObject({ status: 'running' });
    expect((await record(one, { seq: 2, after: 250, last: 500 })).outcome).toBe('cancel_requested');
    expect(await rpc('public.acknowledge_export_cancel', leaseArgs(one))).toMatchObject({ job_status: 'running' });
    expect((await record(two, { seq: 1, after: 1000, last: 1250 })).outcome).toBe('cancel_requested');
    expect(await rpc('public.acknowledge_export_cancel', leaseArgs(two))).toMatchObject({ job_status: 'cancelled' });
    expect(await job(jobId)).toMatchObject({ status: 'cancelled', shards_written: 1 });
    expect(await notifications(jobId)).toEqual([{ kind: 'export_cancelled', run_no: 1 }]);
  });

  it('never completes a job whose cancel committed before its last lane finished', async () => {
    const jobId = await newJob();
    const l = leaseOf(jobId, await claim(jobId));
    await record(l, { seq: 1, after: null, last: 250 });
    await rpc('public.request_export_cancel', [jobId]);
    expect(await rpc('public.finish_export_lane', leaseArgs(l))).toEqual({ outcome: 'cancel_requested' });
    await rpc('public.acknowledge_export_cancel', leaseArgs(l));
    const done = await job(jobId);
    expect(done.status).toBe('cancelled');
    expect(await notifications(jobId)).toEqual([{ kind: 'export_cancelled', run_no: 1 }]);
  });
});

describe('warm hand-off', () => {
  it('passes the lease to the waiting heir in the call that records the last shard', async () => {
    const jobId = await newJob();
    const holder = leaseOf(jobId, await claim(jobId));
    await record(holder, { seq: 1, after: null, last: 250 });
    const heir = await rpc('public.register_export_heir', [jobId, 1, holder.invocation]);
    expect(heir).toMatchObject({ registered: true });
    // A second heir is not registered: it would claim as usual (and be declined).
    expect(await rpc('public.register_export_heir', [jobId, 1, holder.invocation])).toEqual({ registered: false });

    const poll = (seen: string | null = null) => rpc('public.poll_export_baton', [jobId, 1, heir.invocation_id, seen]);
    // A look, not a wait: it answers at once while nothing has changed.
    expect(await poll()).toEqual({ claimed: false, reason: 'waiting', invocation_id: heir.invocation_id });
    const recorded = await record(holder, { seq: 2, after: 250, last: 500 });
    expect(recorded).toMatchObject({ outcome: 'recorded', heir_waiting: true });
    expect(await record(holder, { seq: 3, after: 500, last: 750 }, { pass: true })).toMatchObject({
      outcome: 'passed',
      heir_waiting: false,
    });
    const baton = await poll();
    expect(baton).toMatchObject({ claimed: true, invocation_id: heir.invocation_id, generation: 2 });
    expect(baton.lane).toMatchObject({ cursor_key: 750, next_seq: 4 });
    // The predecessor is fenced from here on; the heir continues the lane.
    expect((await record(holder, { seq: 4, after: 750, last: 1000 })).outcome).toBe('lease_lost');
    const next = leaseOf(jobId, baton);
    expect((await record(next, { seq: 4, after: 750, last: 1000 })).outcome).toBe('recorded');
  });

  it('tells the waiting heir where the last page ends, so it reads its first page before the baton', async () => {
    const jobId = await newJob();
    const holder = leaseOf(jobId, await claim(jobId));
    await record(holder, { seq: 1, after: null, last: 250 });
    // Before registering, the heir warms up on the lane as it is (the holder passes as soon as one registers).
    expect(await rpc('public.preview_export_heir', [jobId, 1, holder.invocation])).toMatchObject({
      available: true,
      lane: { lane_no: 1, cursor_key: 250, next_seq: 2 },
    });
    expect(await rpc('public.preview_export_heir', [jobId, 1, randomUUID()])).toEqual({ available: false });
    const heir = await rpc('public.register_export_heir', [jobId, 1, holder.invocation]);
    expect(await rpc('public.preview_export_heir', [jobId, 1, holder.invocation])).toEqual({ available: false });
    const announce = (l: Lease, afterKey: string) => rpc('public.announce_export_baton', [...leaseArgs(l), afterKey]);

    // Only the lease holder of the current generation announces.
    expect(await announce({ ...holder, generation: holder.generation + 1 }, '500')).toEqual({ announced: false });
    const poll = (seen: string | null, giveUp = false) =>
      rpc('public.poll_export_baton', [jobId, 1, heir.invocation_id, seen, giveUp]);
    expect(await poll(null)).toMatchObject({ claimed: false, reason: 'waiting' });
    // Beyond 2^53: the key travels as text both ways, never rounded.
    expect(await announce(holder, '9007199254740993')).toEqual({ announced: true });
    expect(await poll(null)).toEqual({
      claimed: false,
      reason: 'announced',
      invocation_id: heir.invocation_id,
      after_key: '9007199254740993',
    });
    await announce(holder, '500');
    // A key the heir has seen is not news: it waits on for the baton.
    expect(await poll('500')).toMatchObject({ claimed: false, reason: 'waiting' });
    await record(holder, { seq: 2, after: 250, last: 500 }, { pass: true });
    const baton = await poll('500');
    expect(baton).toMatchObject({ claimed: true, invocation_id: heir.invocation_id });
    expect(baton.lane).toMatchObject({ cursor_key: 500, next_seq: 3 });

    // The next heir starts with a clean slate: nothing its predecessor's predecessor announced.
    const next = leaseOf(jobId, baton);
    const nextHeir = await rpc('public.register_export_heir', [jobId, 1, next.invocation]);
    expect(nextHeir).toMatchObject({ registered: true });
    expect(await lane(jobId, 1)).toMatchObject({ heir: nextHeir.invocation_id, baton_after_key: null });
    // An heir whose wait ran out gives up: it steps back and its invocation ends declined.
    expect(await rpc('public.poll_export_baton', [jobId, 1, nextHeir.invocation_id, null, true])).toMatchObject({
      claimed: false,
      reason: 'heir_timeout',
    });
    expect(await lane(jobId, 1)).toMatchObject({ heir: null });
  });

  it('sends a waiting heir away when the holder releases without it (the sweep takes over)', async () => {
    const jobId = await newJob();
    const holder = leaseOf(jobId, await claim(jobId));
    const heir = await rpc('public.register_export_heir', [jobId, 1, holder.invocation]);
    expect(await rpc('public.poll_export_baton', [jobId, 1, heir.invocation_id, null, true])).toMatchObject({
      claimed: false,
      reason: 'heir_timeout',
    });
    expect(await lane(jobId, 1)).toMatchObject({ heir: null, lease_owner: holder.invocation });
    // An heir the lane no longer names (the lane ended, failed or was cancelled under it) is sent away.
    const second = await rpc('public.register_export_heir', [jobId, 1, holder.invocation]);
    await asService('update public.export_lanes set heir = null where job_id = $1', [jobId]);
    expect(await rpc('public.poll_export_baton', [jobId, 1, second.invocation_id, null])).toMatchObject({
      claimed: false,
      reason: 'not_passed',
    });
  });
});

describe('one lock order: the job, then its lane, then invocations', () => {
  /**
   * A lane's holder records a shard: it holds the job row and asks for its lane. Each function a worker
   * calls meanwhile on that lane must take the job first (or never take it after the lane): else it holds
   * the lane and waits for the job, a deadlock Postgres breaks by failing one of them. Deterministic: the
   * holder's transaction is held open by hand between its two locks.
   */
  async function holdJobThenLane(jobId: string, lane: number, concurrent: () => Promise<unknown>) {
    const holder = await db.connect();
    try {
      await holder.query('begin');
      await holder.query('select 1 from public.export_jobs where id = $1 for update', [jobId]);
      const other = concurrent().then(
        (value) => ({ ok: true as const, value }),
        (error: unknown) => ({ ok: false as const, error: error as Error & { code?: string } }),
      );
      // Let the other call take whatever it takes before waiting.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const laneLock = await holder
        .query('select 1 from public.export_lanes where job_id = $1 and lane_no = $2 for update', [jobId, lane])
        .then(
          () => null,
          (error: unknown) => error as Error & { code?: string },
        );
      if (laneLock) await holder.query('rollback');
      else await holder.query('commit');
      return { holderError: laneLock, other: await other };
    } finally {
      holder.release();
    }
  }

  it('an heir registering while its holder records waits for the job, never deadlocks', async () => {
    const jobId = await newJob();
    const holderLease = leaseOf(jobId, await claim(jobId));
    const { holderError, other } = await holdJobThenLane(jobId, holderLease.lane, () =>
      rpc('public.register_export_heir', [jobId, holderLease.lane, holderLease.invocation]),
    );
    expect(holderError?.code).toBeUndefined();
    expect(other).toMatchObject({ ok: true, value: { registered: true } });
  });

  it.each([
    ['heartbeat_export_lane', (l: Lease) => rpc('public.heartbeat_export_lane', leaseArgs(l))],
    ['announce_export_baton', (l: Lease) => rpc('public.announce_export_baton', [...leaseArgs(l), '100'])],
    ['hand_off_export_lane', (l: Lease) => rpc('public.hand_off_export_lane', leaseArgs(l))],
  ])('%s beside a recording holder never deadlocks', async (_name, call) => {
    const jobId = await newJob();
    const lease = leaseOf(jobId, await claim(jobId));
    const { holderError, other } = await holdJobThenLane(jobId, lease.lane, () => call(lease));
    expect(holderError?.code).toBeUndefined();
    expect(other.ok).toBe(true);
  });
});

describe('storage clean-up of an ended job', () => {
  it('is due once no lease of the job can be alive; the sweep kicks a worker; one worker takes it', async () => {
    const jobId = await newJob();
    const l = leaseOf(jobId, await claim(jobId));
    await record(l, { seq: 1, after: null, last: 250 });
    await rpc('public.request_export_cancel', [jobId]);
    await rpc('public.acknowledge_export_cancel', leaseArgs(l));
    expect((await job(jobId)).status).toBe('cancelled');
    // Not yet: the job's 60 s lease may still have a live writer.
    expect(await rpc('public.begin_export_cleanup', [jobId])).toEqual({ taken: false });
    const due = async () =>
      (await asService<{ job_id: string; lane_no: number }>('select * from public.sweep_export_jobs()')).filter(
        (k) => k.job_id === jobId,
      );
    expect(await due()).toEqual([]);
    await db.query(
      "update private.export_storage_cleanups set due_at = now() - interval '1 second' where job_id = $1",
      [jobId],
    );
    expect(await due()).toEqual([{ job_id: jobId, lane_no: 1 }]);

    expect(await rpc('public.begin_export_cleanup', [jobId])).toEqual({
      taken: true,
      organisation_id: orgId,
      lane_count: 1,
    });
    // Taken: not kicked again, not taken twice (until a minute passes without its end).
    expect(await rpc('public.begin_export_cleanup', [jobId])).toEqual({ taken: false });
    expect(await due()).toEqual([]);
    const [shard] = await asService<{ storage_key: string }>(
      'select storage_key from public.export_shards where job_id = $1',
      [jobId],
    );
    const stray = `${orgId}/${jobId}/lane-1/shard-000002.g1.csv.gz`;
    expect(await rpc('public.unreferenced_export_objects', [jobId, [shard!.storage_key, stray]])).toEqual([stray]);
    await rpc('public.end_export_cleanup', [jobId, 1]);
    const [cleanup] = await asService<{ removed_objects: number; done: boolean }>(
      'select removed_objects, done_at is not null as done from private.export_storage_cleanups where job_id = $1',
      [jobId],
    );
    expect(cleanup).toEqual({ removed_objects: 1, done: true });
  });
});

describe('heartbeat leases and takeovers', () => {
  it('marks a silent holder killed at its last heartbeat and counts the takeover as an attempt', async () => {
    const jobId = await newJob();
    const first = leaseOf(jobId, await claim(jobId));
    await record(first, { seq: 1, after: null, last: 250 });
    const [{ heartbeat }] = (await asService<{ heartbeat: string }>(
      'select last_heartbeat_at::text as heartbeat from public.export_invocations where id = $1',
      [first.invocation],
    )) as [{ heartbeat: string }];
    await expireLease(jobId, 1);
    const second = await claim(jobId);
    expect(second).toMatchObject({ claimed: true, generation: 2 });
    // The dead generation is handed to the claimant, which removes whatever it may have uploaded.
    expect(second.lane).toMatchObject({ dead_generations: [1], dead_seqs: [2], next_seq: 2 });
    const [old] = await asService<Json>(
      'select end_reason, ended_at::text as ended_at from public.export_invocations where id = $1',
      [first.invocation],
    );
    expect(old).toEqual({ end_reason: 'killed', ended_at: heartbeat });
    expect(await lane(jobId, 1)).toMatchObject({ attempts: 1, last_error_kind: 'killed' });
  });

  it('withdraws the attempt of a holder reaped as dead that calls again: it was alive', async () => {
    const jobId = await newJob();
    const slow = leaseOf(jobId, await claim(jobId));
    await record(slow, { seq: 1, after: null, last: 250 });
    // Past its lease without a heartbeat (a starved machine): the sweep takes it for dead.
    await expireLease(jobId, 1);
    await asService('select * from public.sweep_export_jobs()');
    expect(await lane(jobId, 1)).toMatchObject({ attempts: 1, last_error_kind: 'killed' });
    const failures = () =>
      asService<{ error_kind: string }>('select error_kind from public.export_shard_failures where job_id = $1', [
        jobId,
      ]);
    expect(await failures()).toEqual([{ error_kind: 'killed' }]);

    // Its next call proves it alive: refused (fenced), and the reap's attempt and history entry withdrawn.
    expect(await record(slow, { seq: 2, after: 250, last: 500 })).toMatchObject({ outcome: 'lease_lost' });
    expect(await lane(jobId, 1)).toMatchObject({ attempts: 0, last_error_kind: null });
    expect(await failures()).toEqual([]);
    const [old] = await asService<{ end_reason: string; error: string }>(
      'select end_reason, error from public.export_invocations where id = $1',
      [slow.invocation],
    );
    expect(old).toMatchObject({ end_reason: 'lease_lost', error: expect.stringMatching(/alive, so not counted/) });
    // The lane goes on; a real kill later is still counted.
    const next = leaseOf(jobId, await claim(jobId));
    await expireLease(jobId, 1);
    await asService('select * from public.sweep_export_jobs()');
    expect(await lane(jobId, 1)).toMatchObject({ attempts: 1 });
    expect(next.generation).toBe(2);
  });

  it('fails a job whose lane keeps getting killed at the attempt cap, once, naming the lane, shard and reason', async () => {
    const jobId = await newJob({ maxAttempts: 3, bounds: [1000] });
    const healthy = leaseOf(jobId, await claim(jobId, 1));
    for (let kill = 1; kill <= 3; kill += 1) {
      const doomed = leaseOf(jobId, await claim(jobId, 2));
      if (kill === 1) await record(doomed, { seq: 1, after: 1000, last: 1250 });
      await expireLease(jobId, 2);
      await asService('select * from public.sweep_export_jobs()');
    }
    const failed = await job(jobId);
    expect(failed).toMatchObject({ status: 'failed', last_error_kind: 'killed', attempts: 3 });
    expect(failed.last_error).toMatch(
      /^Lane 2: the invocation writing shard 2 of the lane \(keys after 1250\) stopped responding 3 time/,
    );
    expect(await notifications(jobId)).toEqual([{ kind: 'export_failed', run_no: 1 }]);
    // The healthy lane is stopped with the job: its next call is refused.
    expect((await record(healthy, { seq: 1, after: null, last: 250 })).outcome).toBe('stopped');
    expect(await claim(jobId)).toMatchObject({ claimed: false, reason: 'finished' });
  });

  it('keeps a per-job budget across claims that do not carry one (a sweep restart)', async () => {
    const jobId = await newJob();
    const first = await claim(jobId, null, { timeMs: 900, cpuMs: 300 });
    expect(first.job).toMatchObject({ budget: { timeMs: 900, cpuMs: 300 } });
    await expireLease(jobId, 1);
    expect((await claim(jobId)).job).toMatchObject({ budget: { timeMs: 900, cpuMs: 300 } });
    await expect(claim(jobId, null, { timeMs: 10 })).rejects.toThrow(/budget_time_ms/);
  });
});

describe('caps', () => {
  it('holds lanes beyond the global cap and starts them as slots free up', async () => {
    await setCaps(2, 2);
    const jobId = await newJob({ bounds: [500, 1000] });
    const one = leaseOf(jobId, await claim(jobId, 1));
    leaseOf(jobId, await claim(jobId, 2));
    expect(await claim(jobId, 3)).toMatchObject({ claimed: false, reason: 'capped' });
    const finished = await rpc('public.finish_export_lane', leaseArgs(one));
    expect(finished.kick).toEqual([{ job_id: jobId, lane_no: 3 }]);
    expect(await claim(jobId, 3)).toMatchObject({ claimed: true });
  });

  it('gives a free slot to the organisation running fewest lanes, and a hand-off yields to it', async () => {
    await setCaps(4, 4);
    const other = await newOrg('Second org');
    const big = await newJob({ bounds: [200, 400, 600, 800] });
    const big1 = leaseOf(big, await claim(big, 1));
    for (const laneNo of [2, 3, 4]) leaseOf(big, await claim(big, laneNo));
    expect(await claim(big, 5)).toMatchObject({ reason: 'capped' });
    const small = await newJob({ org: other.org, bounds: [500] });
    expect(await claim(small, 1)).toMatchObject({ reason: 'capped' });

    // The big job's lane 1 hands off: the small job (0 running, 4 fewer) gets the slot, not lane 5.
    const handoff = await rpc('public.hand_off_export_lane', leaseArgs(big1));
    expect(handoff.outcome).toBe('yielded');
    expect(handoff.kick).toEqual([{ job_id: small, lane_no: 1 }]);
    expect(await claim(small, 1)).toMatchObject({ claimed: true });
    expect(await claim(big, 1)).toMatchObject({ reason: 'capped' });
  });
});

describe('failures and retries', () => {
  it('backs off retryable failures per lane, resets attempts after a good shard, and fails at the cap', async () => {
    const jobId = await newJob({ maxAttempts: 3 });
    let l = leaseOf(jobId, await claim(jobId));
    const first = await rpc('public.fail_export_lane', [...leaseArgs(l), 'source_unavailable', '503', true]);
    expect(first.outcome).toBe('retrying');
    expect(await job(jobId)).toMatchObject({ status: 'retrying', attempts: 1 });
    expect(await claim(jobId)).toMatchObject({ claimed: false, reason: 'not_due' });

    await db.query('update public.export_lanes set next_retry_at = now() where job_id = $1', [jobId]);
    l = leaseOf(jobId, await claim(jobId));
    await record(l, { seq: 1, after: null, last: 250 });
    expect(await job(jobId)).toMatchObject({ attempts: 0, last_error: null });

    for (let attempt = 1; attempt <= 3; attempt += 1) {
      const failed = await rpc('public.fail_export_lane', [...leaseArgs(l), 'storage_failed', 'timeout', true]);
      expect(failed.outcome).toBe(attempt < 3 ? 'retrying' : 'failed');
      await db.query('update public.export_lanes set next_retry_at = now() where job_id = $1', [jobId]);
      const next = await claim(jobId);
      if (attempt < 3) l = leaseOf(jobId, next);
      else expect(next).toMatchObject({ claimed: false, reason: 'finished' });
    }
    expect(await job(jobId)).toMatchObject({ status: 'failed', attempts: 3 });
    expect(await notifications(jobId)).toEqual([{ kind: 'export_failed', run_no: 1 }]);
  });

  it('fails a permanent error at once', async () => {
    const jobId = await newJob();
    const l = leaseOf(jobId, await claim(jobId));
    const failed = await rpc('public.fail_export_lane', [...leaseArgs(l), 'bad_filter', 'no field x', false]);
    expect(failed).toMatchObject({ outcome: 'failed', attempts: 1 });
    // It names the shard it was writing, as a killed holder's failure does.
    expect((await job(jobId)).last_error).toBe('Shard 1 of the lane (keys after the start): no field x');
  });
});

describe('invocations', () => {
  const invocation = async (id: string) =>
    (
      await db.query<Json>(
        'select end_reason, ended_at, cpu_ms, wall_ms from public.export_invocations where id = $1',
        [id],
      )
    ).rows[0];
  const end = (id: string, reason: string) =>
    asService(`select public.end_export_invocation($1, $2, 120, 900, 1000000, null)`, [id, reason]);

  it('end as completed when their lane finishes, before the holder says so; its own end adds the figures', async () => {
    const jobId = await newJob();
    const l = leaseOf(jobId, await claim(jobId));
    await record(l, { seq: 1, after: null, last: 250 });
    await rpc('public.finish_export_lane', leaseArgs(l));
    // An instance stopped right after finishing (before its own end call) leaves no invocation running.
    expect(await invocation(l.invocation)).toMatchObject({ end_reason: 'completed', cpu_ms: null });
    expect((await invocation(l.invocation))!.ended_at).not.toBeNull();

    await end(l.invocation, 'completed');
    expect(await invocation(l.invocation)).toMatchObject({ end_reason: 'completed', cpu_ms: 120, wall_ms: 900 });
    // A different end cannot overwrite the recorded one.
    await end(l.invocation, 'error');
    expect(await invocation(l.invocation)).toMatchObject({ end_reason: 'completed' });
  });
});

describe('notifications', () => {
  it('are unique per run and outcome, whatever calls finish twice', async () => {
    const jobId = await newJob();
    const l = leaseOf(jobId, await claim(jobId));
    await record(l, { seq: 1, after: null, last: 250 });
    expect(await rpc('public.finish_export_lane', leaseArgs(l))).toMatchObject({
      outcome: 'completed',
      job_status: 'completed',
    });
    expect((await rpc('public.finish_export_lane', leaseArgs(l))).outcome).toBe('stopped');
    await asService(`select private.notify_export_outcome($1, 'export_completed')`, [jobId]);
    expect(await notifications(jobId)).toEqual([{ kind: 'export_completed', run_no: 1 }]);
  });

  it('notify again when a re-run fails again: one per outcome of each run', async () => {
    const jobId = await newJob();
    let l = leaseOf(jobId, await claim(jobId));
    await rpc('public.fail_export_lane', [...leaseArgs(l), 'source_rejected', 'collection gone', false]);
    await rpc('public.request_export_rerun', [jobId, [], []]);
    l = leaseOf(jobId, await claim(jobId));
    await rpc('public.fail_export_lane', [...leaseArgs(l), 'source_rejected', 'collection still gone', false]);
    expect(await notifications(jobId)).toEqual([
      { kind: 'export_failed', run_no: 1 },
      { kind: 'export_failed', run_no: 2 },
    ]);
  });

  it('carry the kind of error a failure ended on, for the dashboard to put into words; the raw error stays in the body', async () => {
    const failedId = await newJob();
    const l = leaseOf(failedId, await claim(failedId));
    await rpc('public.fail_export_lane', [...leaseArgs(l), 'source_rejected', 'collection gone', false]);
    const completedId = await newJob();
    const c = leaseOf(completedId, await claim(completedId));
    await record(c, { seq: 1, after: null, last: 250 });
    await rpc('public.finish_export_lane', leaseArgs(c));
    const rows = await asService<Json>(
      'select kind, error_kind, body from public.notifications where job_id = any($1) order by kind',
      [[failedId, completedId]],
    );
    expect(rows).toEqual([
      { kind: 'export_completed', error_kind: null, body: expect.stringMatching(/^250 rows in 1 shard/) },
      { kind: 'export_failed', error_kind: 'source_rejected', body: expect.stringMatching(/collection gone/) },
    ]);
  });
});

describe('re-runs', () => {
  it('re-runs a named shard over exactly its key range and keeps the replaced attempt', async () => {
    const jobId = await newJob({ bounds: [300] });
    const one = leaseOf(jobId, await claim(jobId, 1));
    const two = leaseOf(jobId, await claim(jobId, 2));
    await record(one, { seq: 1, after: null, last: 250 });
    await record(two, { seq: 1, after: 300, last: 400 });
    await rpc('public.finish_export_lane', leaseArgs(one));
    await rpc('public.finish_export_lane', leaseArgs(two));
    expect(await job(jobId)).toMatchObject({ status: 'completed' });

    await expect(rpc('public.request_export_rerun', [jobId, [2], []])).rejects.toThrow(/one reason per shard/);
    const requeued = await rpc('public.request_export_rerun', [jobId, [2], ['missing in storage']]);
    expect(requeued).toMatchObject({ status: 'queued', run_no: 2 });
    expect(await claim(jobId, 1)).toMatchObject({ claimed: false, reason: 'finished' });
    const again = await claim(jobId, 2);
    expect(again.reruns).toEqual([
      { shard_no: 2, lane_seq: 1, key_after: 300, key_last: 400, rows: 250, sha256: sha(400) },
    ]);
    const l = leaseOf(jobId, again);
    await expect(record(l, { seq: 1, after: 300, last: 450, rerunOf: 2 })).rejects.toThrow(/not waiting for a re-run/);
    expect(await record(l, { seq: 1, after: 300, last: 400, rerunOf: 2, sha: sha(400) })).toMatchObject({
      outcome: 'recorded',
      shard_no: 2,
    });
    expect(await rpc('public.finish_export_lane', leaseArgs(l))).toMatchObject({ job_status: 'completed' });
    const history = await asService<Json>(
      'select attempt, replaced_because from public.export_shard_attempts where job_id = $1',
      [jobId],
    );
    expect(history).toEqual([{ attempt: 1, replaced_because: 'missing in storage' }]);
    expect(await notifications(jobId)).toEqual([
      { kind: 'export_completed', run_no: 1 },
      { kind: 'export_completed', run_no: 2 },
    ]);
  });

  it('refuses, with an explanation and for good, a re-run whose key range now holds other records', async () => {
    const jobId = await newJob();
    let l = leaseOf(jobId, await claim(jobId));
    await record(l, { seq: 1, after: null, last: 250 });
    await rpc('public.finish_export_lane', leaseArgs(l));
    await rpc('public.request_export_rerun', [jobId, [1], ['checksum mismatch']]);
    l = leaseOf(jobId, await claim(jobId));
    const changed = await record(l, { seq: 1, after: null, last: 250, rerunOf: 1, rows: 249, sha: sha(1) });
    expect(changed.outcome).toBe('source_changed');
    expect(changed.detail).toMatch(/written with 250 rows; the source now has 249 rows there.*start a new export/);
    const [shard] = await asService<Json>('select status, sha256 from public.export_shards where job_id = $1', [jobId]);
    expect(shard).toEqual({ status: 'rerun_requested', sha256: sha(250) });
  });

  it('refuses a re-run of a job that is still running', async () => {
    const jobId = await newJob();
    await claim(jobId);
    await expect(rpc('public.request_export_rerun', [jobId, [], []])).rejects.toThrow(/still running/);
  });
});

describe('progress from per-lane counters', () => {
  /** What the manifest says each lane has written: the truth the counters must equal at every step. */
  const manifestSums = (jobId: string) =>
    asService<Json>(
      `select l.lane_no as lane, count(s.shard_no)::int as shards, coalesce(sum(s.rows), 0)::int as rows,
              coalesce(sum(s.bytes), 0)::int as bytes, coalesce(sum(s.header_bytes), 0)::int as header_bytes,
              (count(s.shard_no) filter (where s.encoding = 'gzip'))::int as gzip_shards,
              coalesce(sum(s.gzip_bytes), 0)::int as gzip_bytes, coalesce(sum(s.gzip_header_bytes), 0)::int as gzip_header_bytes
       from public.export_lanes l
       left join public.export_shards s on s.job_id = l.job_id and s.lane = l.lane_no and s.status = 'written'
       where l.job_id = $1 group by l.lane_no order by l.lane_no`,
      [jobId],
    );
  const laneCounters = (jobId: string) =>
    asService<Json>(
      `select lane_no as lane, shards_written as shards, rows_written::int as rows, bytes_written::int as bytes,
              header_bytes_written::int as header_bytes, gzip_shards_written as gzip_shards,
              gzip_bytes_written::int as gzip_bytes, gzip_header_bytes_written::int as gzip_header_bytes
       from public.export_lanes where job_id = $1 order by lane_no`,
      [jobId],
    );
  /** The job row's progress as the manifest has it: the files' sizes keep the first shard's header (member) only. */
  const manifestProgress = async (jobId: string) =>
    (
      await asService<Json>(
        `with w as (select * from public.export_shards where job_id = $1 and status = 'written'),
              f as (select header_bytes, gzip_header_bytes from w order by lane, lane_seq limit 1)
         select count(*)::int as shards_written, coalesce(sum(rows), 0)::int as rows_written,
                (coalesce(sum(bytes), 0) - coalesce(sum(header_bytes), 0) + coalesce((select header_bytes from f), 0))::int
                  as bytes_written,
                (sum(gzip_bytes) - sum(gzip_header_bytes) + (select gzip_header_bytes from f))::int as gzip_bytes_written
         from w`,
        [jobId],
      )
    )[0]!;
  const expectExact = async (jobId: string) => {
    const truth = await manifestSums(jobId);
    expect(await laneCounters(jobId)).toEqual(truth);
    return truth;
  };
  const totals = (lanes: Json[]) => ({
    shards: lanes.reduce((sum, l) => sum + (l.shards as number), 0),
    rows: lanes.reduce((sum, l) => sum + (l.rows as number), 0),
  });

  it('stay exact through concurrent lanes, re-run requests, re-runs with other gzip bytes and problems found', async () => {
    const bounds = [1000, 2000, 3000];
    const jobId = await newJob({ bounds });
    const leases = await Promise.all([1, 2, 3, 4].map(async (lane) => leaseOf(jobId, await claim(jobId, lane))));
    const start = (lane: number) => (lane === 1 ? 0 : bounds[lane - 2]!);
    const shardOf = (lane: number, seq: number): ShardArgs => ({
      seq,
      after: seq === 1 && lane === 1 ? null : start(lane) + 50 * (seq - 1),
      last: start(lane) + 50 * seq,
      rows: 100 + 10 * lane + seq,
      bytes: 5000 + 100 * lane + seq,
      gzip: { bytes: 900 + 10 * lane + seq, headerBytes: 20 + lane },
    });
    // Four lanes record five shards each at the same time (their calls queue on the job row).
    await Promise.all(
      leases.map(async (l) => {
        for (let seq = 1; seq <= 5; seq += 1)
          expect(await record(l, shardOf(l.lane, seq))).toMatchObject({ outcome: 'recorded' });
      }),
    );
    const written = await expectExact(jobId);
    expect(totals(written)).toEqual({ shards: 20, rows: 2000 + 10 * 10 * 5 + 15 * 4 });
    expect(await job(jobId)).toMatchObject(await manifestProgress(jobId));
    expect((await job(jobId)).lanes).toEqual(
      written.map((l) => ({ lane: l.lane, status: 'running', shards: 5, rows: l.rows, estimated: 250, attempts: 0 })),
    );

    for (const l of leases) await rpc('public.finish_export_lane', leaseArgs(l));
    expect(await job(jobId)).toMatchObject({ status: 'completed', ...(await manifestProgress(jobId)) });

    // A download found a damaged object: nothing it counts changes until the shard is re-run.
    const [firstOfLane1, thirdOfLane3] = await asService<{ shard_no: number }>(
      `select shard_no from public.export_shards where job_id = $1 and (lane, lane_seq) in ((1, 1), (3, 3)) order by lane`,
      [jobId],
    );
    await asService(`select public.record_export_shard_problem($1, $2, 1, 'checksum_mismatch', 'sha256 differs')`, [
      jobId,
      firstOfLane1!.shard_no,
    ]);
    expect(await expectExact(jobId)).toEqual(written);

    // Re-running two shards takes them out of the file (the first one in file order among them) …
    await rpc('public.request_export_rerun', [
      jobId,
      [firstOfLane1!.shard_no, thirdOfLane3!.shard_no],
      ['checksum mismatch', 'missing in storage'],
    ]);
    const waiting = await expectExact(jobId);
    expect(totals(waiting).shards).toBe(18);
    expect(await job(jobId)).toMatchObject({ status: 'queued', ...(await manifestProgress(jobId)) });

    // … and their re-runs, concurrently in two lanes, put them back with the bytes of their new objects.
    const again = await Promise.all([1, 3].map(async (lane) => leaseOf(jobId, await claim(jobId, lane))));
    await Promise.all(
      again.map(async (l) => {
        const seq = l.lane === 1 ? 1 : 3;
        const shard = shardOf(l.lane, seq);
        expect(
          await record(l, {
            ...shard,
            rerunOf: l.lane === 1 ? firstOfLane1!.shard_no : thirdOfLane3!.shard_no,
            sha: sha(shard.last),
            gzip: { bytes: shard.gzip!.bytes + 7, headerBytes: shard.gzip!.headerBytes },
          }),
        ).toMatchObject({ outcome: 'recorded' });
      }),
    );
    const rewritten = await expectExact(jobId);
    expect(totals(rewritten)).toEqual(totals(written));
    expect(rewritten.map((l) => l.gzip_bytes)).toEqual(
      written.map((l) => (l.gzip_bytes as number) + (l.lane === 1 || l.lane === 3 ? 7 : 0)),
    );
    for (const l of again) await rpc('public.finish_export_lane', leaseArgs(l));
    expect(await job(jobId)).toMatchObject({ status: 'completed', run_no: 2, ...(await manifestProgress(jobId)) });

    // Each run's outcome says what the file held when it ended.
    const outcomes = await asService<Json>(
      `select run_no, detail->'rows' as rows, detail->'shards' as shards from public.export_events
       where job_id = $1 and kind = 'completed' order by run_no`,
      [jobId],
    );
    expect(outcomes).toEqual([
      { run_no: 1, ...totals(written) },
      { run_no: 2, ...totals(rewritten) },
    ]);
  });

  it('reach the job row on every shard with an interval of 0, also when the row was written after the call began', async () => {
    const jobId = await newJob({ bounds: [1000] });
    const one = leaseOf(jobId, await claim(jobId, 1));
    const two = leaseOf(jobId, await claim(jobId, 2));
    // Lane 1's call begins (its transaction's now() is taken) and then waits, as it would for the job
    // row's lock while lane 2 records: the row's last write is younger than lane 1's transaction.
    const laneOne = await db.connect();
    try {
      await laneOne.query('begin');
      await laneOne.query(
        `select set_config('role', 'service_role', true), set_config('request.jwt.claims', '{"role":"service_role"}', true)`,
      );
      await laneOne.query('select now()');
      await record(two, { seq: 1, after: 1000, last: 1250, rows: 150 });
      await laneOne.query(...recordStatement(one, { seq: 1, after: null, last: 250, rows: 200 }));
      await laneOne.query('commit');
    } finally {
      laneOne.release();
    }
    expect(await job(jobId)).toMatchObject({ shards_written: 2, rows_written: 350 });
  });

  it("are what the job row's progress is made of: a refresh reads the lanes, never the manifest", async () => {
    const jobId = await newJob({ bounds: [1000] });
    const one = leaseOf(jobId, await claim(jobId, 1));
    const two = leaseOf(jobId, await claim(jobId, 2));
    await record(one, { seq: 1, after: null, last: 250, rows: 200 });
    await record(two, { seq: 1, after: 1000, last: 1250, rows: 150 });
    expect(await job(jobId)).toMatchObject({ shards_written: 2, rows_written: 350 });
    // Counters moved by hand (no shard): a refresh that summed the manifest would not see it.
    await db.query(
      'update public.export_lanes set rows_written = rows_written + 1000000 where job_id = $1 and lane_no = 2',
      [jobId],
    );
    await record(one, { seq: 2, after: 250, last: 500, rows: 250 });
    const row = await job(jobId);
    expect(row).toMatchObject({ shards_written: 3, rows_written: 1_000_600 });
    expect((row.lanes as Json[]).map((l) => l.rows)).toEqual([450, 1_000_150]);
  });
});

describe('sweep_export_jobs', () => {
  it('returns lanes whose holder died and settles cancels nobody is working on', async () => {
    const killed = await newJob({ bounds: [500] });
    await claim(killed, 1);
    await claim(killed, 2);
    await expireLease(killed, 2);

    const abandoned = await newJob();
    await claim(abandoned);
    await expireLease(abandoned, 1);
    await db.query(`update public.export_jobs set cancel_requested_at = now() where id = $1`, [abandoned]);

    const swept = await asService<{ job_id: string; lane_no: number }>('select * from public.sweep_export_jobs()');
    expect(swept.filter((r) => r.job_id === killed)).toEqual([{ job_id: killed, lane_no: 2 }]);
    expect(swept.filter((r) => r.job_id === abandoned)).toEqual([]);
    expect(await job(abandoned)).toMatchObject({ status: 'cancelled' });
    expect(await notifications(abandoned)).toEqual([{ kind: 'export_cancelled', run_no: 1 }]);
  });
});

describe('history outlives people', () => {
  it("keeps an organisation's jobs when the member who started them is deleted", async () => {
    const leaver = await newUser();
    await db.query('insert into public.memberships (organisation_id, user_id) values ($1, $2)', [orgId, leaver]);
    const jobId = await newJob({ requestedBy: leaver });
    await db.query('delete from auth.users where id = $1', [leaver]);
    expect(await job(jobId)).toMatchObject({ requested_by: null, status: 'queued' });
    const l = leaseOf(jobId, await claim(jobId));
    await rpc('public.finish_export_lane', leaseArgs(l));
    expect(await job(jobId)).toMatchObject({ status: 'completed' });
    expect(await notifications(jobId)).toEqual([]);
  });
});

describe('privileges and hygiene', () => {
  it('does not let a signed-in user run the state machine directly', async () => {
    const client = await db.connect();
    try {
      await client.query('begin');
      await client.query(
        "select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)",
        [JSON.stringify({ role: 'authenticated', sub: userId })],
      );
      await expect(client.query('select public.claim_export_lane($1, null, 60, null)', [randomUUID()])).rejects.toThrow(
        /permission denied/,
      );
    } finally {
      await client.query('rollback');
      client.release();
    }
  });

  it('gives every function of the export engine a fixed search_path', async () => {
    const { rows } = await db.query<{ fn: string }>(
      `select p.oid::regprocedure::text as fn from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname in ('public', 'private') and p.prokind = 'f'
         and p.proname ~ '(export|lane|baton|heir|ascending|touch_updated_at|org_member)'
         and not exists (select 1 from unnest(coalesce(p.proconfig, '{}')) c where c like 'search_path=%')`,
    );
    expect(rows).toEqual([]);
  });
});
