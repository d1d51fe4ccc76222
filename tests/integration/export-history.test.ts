import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Json, type Lease, leaseArgs, recordStatement, stateMachineCalls } from './state-machine-calls';
import { testStack } from './stack-info';

/**
 * What support reads about an export (migration 20261206000300_shards_and_history): every failed attempt of
 * a shard, the events only people cause — with who caused them — each run's outcome, the export's
 * name, and notifications that say which export. Straight against Postgres as the service role, the
 * way the worker and the API routes call the state machine; "by whom" travels in the `x-baton-actor`
 * request header, as PostgREST passes it to SQL.
 */
const stack = testStack();
const db = new pg.Pool({ connectionString: stack.pgConnectionString, max: 4 });

const { asService, rpc, claimLane: claim } = stateMachineCalls(db);

let orgId: string;
let userId: string;
let colleagueId: string;
let sourceId: string;

async function newUser(): Promise<string> {
  const id = randomUUID();
  await db.query(`insert into auth.users (id, email, encrypted_password) values ($1, $2, 'x')`, [
    id,
    `${id}@test.local`,
  ]);
  return id;
}

async function newJob(options: { filter?: string; bounds?: number[]; maxAttempts?: number } = {}): Promise<string> {
  const [row] = await asService<{ id: string }>(
    `insert into public.export_jobs (organisation_id, source_id, requested_by, collection, key_field, fields, format,
       filter, estimated_rows, max_attempts, lane_bounds)
     values ($1, $2, $3, 'blog_posts', 'hs_object_id', '{hs_object_id,title}', 'csv', $4, 66769, $5, $6) returning id`,
    [orgId, sourceId, userId, options.filter ?? null, options.maxAttempts ?? 5, options.bounds ?? []],
  );
  return row!.id;
}

/** Skips a lane's backoff (the test does not wait 2, 4, 8 s). */
const makeDue = (jobId: string, lane: number) =>
  db.query(`update public.export_lanes set next_retry_at = now() where job_id = $1 and lane_no = $2`, [jobId, lane]);

async function record(l: Lease, seq: number, after: number | null, last: number, rows = 250, rerunOf?: number) {
  return (await asService<{ result: Json }>(...recordStatement(l, { seq, after, last, rows, rerunOf })))[0]!.result;
}

const failures = (jobId: string) =>
  asService<Json>(
    `select lane, lane_seq, invocation_id, attempt, max_attempts, error_kind, error, outcome,
            next_retry_at is not null as backs_off, run_no
     from public.export_shard_failures where job_id = $1 order by id`,
    [jobId],
  );

const events = (jobId: string) =>
  asService<Json>('select kind, run_no, actor, detail from public.export_events where job_id = $1 order by id', [
    jobId,
  ]);

beforeAll(async () => {
  userId = await newUser();
  colleagueId = await newUser();
  orgId = (
    await db.query<{ id: string }>(`insert into public.organisations (name) values ('History org') returning id`)
  ).rows[0]!.id;
  sourceId = (
    await db.query<{ id: string }>(
      `insert into public.export_sources (organisation_id, collection, label) values ($1, 'blog_posts', 'Blog posts') returning id`,
      [orgId],
    )
  ).rows[0]!.id;
  await db.query('insert into public.memberships (organisation_id, user_id) values ($1, $2), ($1, $3)', [
    orgId,
    userId,
    colleagueId,
  ]);
});
afterAll(() => db.end());

describe('export names', () => {
  it('default to source, filter and UTC time, and a rename is an event with who did it', async () => {
    const jobId = await newJob({ filter: 'state:=published' });
    const [row] = await asService<{ name: string }>('select name from public.export_jobs where id = $1', [jobId]);
    expect(row!.name).toMatch(/^Blog posts · state:=published · \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/);

    await asService(`update public.export_jobs set name = 'Q4 blog audit' where id = $1`, [jobId], colleagueId);
    expect(await events(jobId)).toEqual([
      { kind: 'renamed', run_no: 1, actor: colleagueId, detail: { from: row!.name, to: 'Q4 blog audit' } },
    ]);
  });
});

describe('failed attempts of a shard', () => {
  it('are kept one by one — invocation, lane, attempt, error, backoff — and name the shard the lane was on', async () => {
    const jobId = await newJob({ bounds: [1000] });
    let l = await claim(jobId, 2);
    expect(await record(l, 1, 1000, 1250)).toMatchObject({ outcome: 'recorded' });
    const firstFailing = l.invocation;
    await rpc('public.fail_export_lane', [...leaseArgs(l), 'storage_failed', 'upload k/2/2.g1: 503', true]);
    await makeDue(jobId, 2);
    l = await claim(jobId, 2);
    await rpc('public.fail_export_lane', [...leaseArgs(l), 'storage_failed', 'upload k/2/2.g2: 503', true]);
    await makeDue(jobId, 2);
    // The third holder dies without a goodbye: the sweep's reaper counts that attempt too.
    l = await claim(jobId, 2);
    await db.query(
      `update public.export_lanes set lease_expires_at = now() - interval '1 second' where job_id = $1 and lane_no = 2`,
      [jobId],
    );
    await rpc('public.sweep_export_jobs', []);

    const kept = await failures(jobId);
    expect(kept).toHaveLength(3);
    expect(kept[0]).toMatchObject({
      lane: 2,
      lane_seq: 2,
      invocation_id: firstFailing,
      attempt: 1,
      max_attempts: 5,
      error_kind: 'storage_failed',
      // Where the lane was: the shard it was writing and the keys it starts after, as a killed holder's says.
      error: expect.stringMatching(/^Lane 2, shard 2 of the lane \(keys after \d+\): upload k\/2\/2\.g1: 503$/),
      outcome: 'retrying',
      backs_off: true,
      run_no: 1,
    });
    expect(kept[1]).toMatchObject({ lane_seq: 2, attempt: 2, outcome: 'retrying' });
    expect(kept[2]).toMatchObject({
      lane_seq: 2,
      invocation_id: l.invocation,
      attempt: 3,
      error_kind: 'killed',
      outcome: 'requeued',
      backs_off: false,
    });

    // The shard the failures name is the one the lane writes next: once recorded it is (lane 2, seq 2).
    l = await claim(jobId, 2);
    expect(await record(l, 2, 1250, 1500)).toMatchObject({ outcome: 'recorded', shard_no: 2 });
    expect(await failures(jobId)).toHaveLength(3);
  });

  it('name the re-run shard when a re-run fails, and say when the lane gave up', async () => {
    const jobId = await newJob({ maxAttempts: 2 });
    let l = await claim(jobId, 1);
    await record(l, 1, null, 250);
    await record(l, 2, 250, 500);
    await rpc('public.finish_export_lane', leaseArgs(l));
    await rpc('public.request_export_rerun', [jobId, [1], ['object missing from storage']]);

    l = await claim(jobId, 1);
    await rpc('public.fail_export_lane', [...leaseArgs(l), 'source_unavailable', '503', true]);
    await makeDue(jobId, 1);
    l = await claim(jobId, 1);
    await rpc('public.fail_export_lane', [...leaseArgs(l), 'source_unavailable', '503 again', true]);

    expect(await failures(jobId)).toEqual([
      expect.objectContaining({ lane: 1, lane_seq: 1, attempt: 1, outcome: 'retrying', run_no: 2 }),
      expect.objectContaining({ lane: 1, lane_seq: 1, attempt: 2, outcome: 'failed', backs_off: false, run_no: 2 }),
    ]);
  });
});

describe('events', () => {
  it('record who cancelled and who re-ran which shards, and every run’s outcome', async () => {
    const jobId = await newJob();
    let l = await claim(jobId, 1);
    for (let seq = 1; seq <= 4; seq += 1) await record(l, seq, seq === 1 ? null : (seq - 1) * 250, seq * 250);
    await rpc('public.request_export_cancel', [jobId], userId);
    await rpc('public.acknowledge_export_cancel', leaseArgs(l));

    await rpc('public.request_export_rerun', [jobId, [2, 3], ['checksum mismatch', 'checksum mismatch']], colleagueId);
    l = await claim(jobId, 1);
    await record(l, 2, 250, 500, 250, 2);
    await record(l, 3, 500, 750, 250, 3);
    await record(l, 5, 1000, 1100, 100);
    await rpc('public.finish_export_lane', leaseArgs(l));

    expect(await events(jobId)).toEqual([
      { kind: 'cancel_requested', run_no: 1, actor: userId, detail: {} },
      expect.objectContaining({ kind: 'cancelled', run_no: 1, actor: null }),
      { kind: 'rerun_requested', run_no: 2, actor: colleagueId, detail: { shard_ranges: [[2, 3]], tail: true } },
      expect.objectContaining({ kind: 'completed', run_no: 2, actor: null }),
    ]);
    const [, cancelled, , completed] = await events(jobId);
    expect(cancelled!.detail).toMatchObject({ rows: 1000, shards: 4 });
    expect(completed!.detail).toMatchObject({ rows: 1100, shards: 5 });
  });

  it('carry no actor when the system acts, and ignore a header that is not a user id', async () => {
    const jobId = await newJob();
    await rpc('public.request_export_cancel', [jobId], 'not-a-uuid');
    expect((await events(jobId))[0]).toMatchObject({ kind: 'cancel_requested', actor: null });
  });
});

describe('the actor of a user session', () => {
  it('is the caller, whatever x-baton-actor header the session sends', async () => {
    const jobId = await newJob();
    const client = await db.connect();
    try {
      await client.query('begin');
      await client.query(
        `select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true),
                set_config('request.headers', $2, true)`,
        [JSON.stringify({ role: 'authenticated', sub: userId }), JSON.stringify({ 'x-baton-actor': colleagueId })],
      );
      await client.query('select public.cancel_export($1)', [jobId]);
      await client.query('commit');
    } finally {
      client.release();
    }
    expect((await events(jobId))[0]).toMatchObject({ kind: 'cancel_requested', actor: userId });
  });
});

describe('notifications', () => {
  it('name the export, give its short id and format the numbers', async () => {
    const jobId = await newJob();
    const l = await claim(jobId, 1);
    await record(l, 1, null, 250, 19);
    await rpc('public.finish_export_lane', leaseArgs(l));
    const [note] = await asService<{ title: string; body: string }>(
      'select title, body from public.notifications where job_id = $1',
      [jobId],
    );
    const [job] = await asService<{ name: string }>('select name from public.export_jobs where id = $1', [jobId]);
    expect(note!.title).toBe(`Export completed: ${job!.name}`);
    expect(note!.body).toBe(`19 rows in 1 shard (CSV). Export ${jobId.slice(0, 8)}.`);
  });

  it('formats thousands with separators', async () => {
    const [row] = await asService<{ text: string }>(`select private.format_count(66769, 'row', 'rows') as text`);
    expect(row!.text).toBe('66,769 rows');
  });
});

describe('who is who', () => {
  it('members see their colleagues’ emails, nobody else’s', async () => {
    const outsider = await newUser();
    const asUser = async (id: string) => {
      const client = await db.connect();
      try {
        await client.query('begin');
        await client.query(
          `select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)`,
          [JSON.stringify({ sub: id, role: 'authenticated' })],
        );
        const { rows } = await client.query<{ user_id: string }>('select user_id from public.organisation_members()');
        await client.query('rollback');
        return rows.map((r) => r.user_id).sort();
      } finally {
        client.release();
      }
    };
    expect(await asUser(userId)).toEqual([userId, colleagueId].sort());
    expect(await asUser(outsider)).toEqual([]);
  });
});
