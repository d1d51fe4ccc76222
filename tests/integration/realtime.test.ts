import { randomUUID } from 'node:crypto';
import type { RealtimeChannel, SupabaseClient } from '@supabase/supabase-js';
import { createClient } from '@supabase/supabase-js';
import pg from 'pg';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createUser } from '../../devstack/auth/handler';
import { LISTENER_APPLICATION_NAME } from '../../devstack/realtime/message-feed';
import { anonClient, mintUserJwt, userRealtimeClient } from './clients';
import { testStack } from './stack-info';

/**
 * Realtime Broadcast from Database on private channels, through the official client (supabase-js 2.119.1 /
 * realtime-js). Messages are sent with `pg` as the superuser; what a client receives depends only on
 * Postgres (the `realtime.messages` policies) and the realtime service. Absence is proven with fences,
 * never by waiting: delivery follows commit order, so once a later message has arrived, an earlier one
 * that was due has arrived too.
 */

type Broadcast = { type: 'broadcast'; event: string; meta?: { id: string }; payload: Record<string, unknown> };

/** A topic only its own user may read, by the test policy below. */
const SCRATCH = 'rt-test';

const stack = testStack();
const db = new pg.Pool({ connectionString: stack.pgConnectionString, max: 4 });
const alice = randomUUID();
const bob = randomUUID();
const clients: SupabaseClient[] = [];

function track(client: SupabaseClient): SupabaseClient {
  clients.push(client);
  return client;
}

/** Collects callbacks so a test can wait for the n-th one, or for one that matches. */
class Inbox<T> {
  readonly items: Array<{ at: number; value: T }> = [];
  private waiters: Array<() => void> = [];

  push = (value: T): void => {
    this.items.push({ at: performance.now(), value });
    for (const wake of this.waiters.splice(0)) wake();
  };

  async until(done: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what} (have ${this.items.length})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async waitFor(count: number, timeoutMs?: number): Promise<Array<{ at: number; value: T }>> {
    await this.until(() => this.items.length >= count, `${count} item(s)`, timeoutMs);
    return this.items;
  }
}

type Joined = { statuses: Inbox<string>; system: Inbox<Record<string, unknown>>; inbox: Inbox<Broadcast> };

/** Joins and resolves on SUBSCRIBED; rejects with the server's reason on CHANNEL_ERROR / TIMED_OUT. */
function join(channel: RealtimeChannel): Promise<Joined> {
  const statuses = new Inbox<string>();
  const system = new Inbox<Record<string, unknown>>();
  const inbox = new Inbox<Broadcast>();
  channel.on('system', {}, (payload: Record<string, unknown>) => system.push(payload));
  channel.on('broadcast', { event: '*' }, (message: Broadcast) => inbox.push(message));
  return new Promise((resolve, reject) => {
    channel.subscribe((status, err) => {
      statuses.push(status);
      if (status === 'SUBSCRIBED') resolve({ statuses, system, inbox });
      else if (status === 'CHANNEL_ERROR' || status === 'TIMED_OUT') reject(err ?? new Error(status));
    });
  });
}

/** A refused join: the client's error (the server's reason), with the channel removed again. */
async function refusedJoin(client: SupabaseClient, topic: string): Promise<string> {
  const channel = client.channel(topic, { config: { private: true } });
  const inbox = new Inbox<Broadcast>();
  channel.on('broadcast', { event: '*' }, (message: Broadcast) => inbox.push(message));
  const reason = await join(channel).then(
    () => 'joined',
    (error: unknown) => (error instanceof Error ? error.message : String(error)),
  );
  await client.removeChannel(channel);
  expect(inbox.items).toEqual([]);
  return reason;
}

async function send(topic: string, event: string, payload: Record<string, unknown>, isPrivate = true): Promise<void> {
  await db.query('select realtime.send($1::jsonb, $2, $3, $4)', [JSON.stringify(payload), event, topic, isPrivate]);
}

beforeAll(async () => {
  await db.query(`
    drop policy if exists "rt test: own scratch topic" on realtime.messages;
    create policy "rt test: own scratch topic" on realtime.messages for select to authenticated
      using ((select realtime.topic()) = '${SCRATCH}:' || (select auth.uid())::text);
  `);
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.removeAllChannels()));
  await db.query(`drop policy if exists "rt test: own scratch topic" on realtime.messages`);
  await db.end();
});

describe('realtime: private channels and Broadcast from Database', () => {
  it('joins a private topic the policies allow, and delivers realtime.send with meta.id and the id in the payload', async () => {
    const client = track(await userRealtimeClient(await mintUserJwt(alice)));
    const topic = `${SCRATCH}:${alice}`;
    const { inbox, statuses } = await join(client.channel(topic, { config: { private: true } }));
    expect(statuses.items.map((s) => s.value)).toEqual(['SUBSCRIBED']);
    await send(topic, 'progress', { shards: 3 });
    const [first] = await inbox.waitFor(1);
    const message = first!.value;
    expect(message).toEqual({
      type: 'broadcast',
      event: 'progress',
      meta: { id: expect.any(String) },
      payload: { shards: 3, id: message.meta?.id },
    });
    // The id is the realtime.messages row's.
    const { rows } = await db.query('select topic, private from realtime.messages where id = $1', [message.meta?.id]);
    expect(rows).toEqual([{ topic, private: true }]);
  });

  it('delivers committed messages only, in commit order: a rolled-back send never arrives', async () => {
    const client = track(await userRealtimeClient(await mintUserJwt(alice)));
    const topic = `${SCRATCH}:${alice}`;
    const { inbox } = await join(client.channel(topic, { config: { private: true } }));
    const open = await db.connect();
    try {
      await open.query('begin');
      await open.query(`select realtime.send('{"n":"pending"}', 'e', $1)`, [topic]);
      const rolledBack = await db.connect();
      await rolledBack.query('begin');
      await rolledBack.query(`select realtime.send('{"n":"rolled back"}', 'e', $1)`, [topic]);
      await rolledBack.query('rollback');
      rolledBack.release();
      await send(topic, 'e', { n: 'fence' });
      await inbox.waitFor(1);
      expect(inbox.items.map((i) => i.value.payload.n)).toEqual(['fence']);
      await open.query('commit');
      await inbox.waitFor(2);
      await send(topic, 'e', { n: 'last' });
      await inbox.waitFor(3);
      expect(inbox.items.map((i) => i.value.payload.n)).toEqual(['fence', 'pending', 'last']);
    } finally {
      // A no-op after the commit; after a failure it keeps the open transaction out of the pool.
      await open.query('rollback');
      open.release();
    }
  });

  it('keeps private and public apart: private messages reach private joins only, public ones public joins only', async () => {
    const client = track(await userRealtimeClient(await mintUserJwt(alice)));
    const other = track(await userRealtimeClient(await mintUserJwt(alice)));
    const topic = `${SCRATCH}:${alice}`;
    const privateJoin = await join(client.channel(topic, { config: { private: true } }));
    const publicJoin = await join(other.channel(topic));
    await send(topic, 'e', { n: 'private' });
    await send(topic, 'e', { n: 'public' }, false);
    await send(topic, 'e', { n: 'private fence' });
    await privateJoin.inbox.waitFor(2);
    await publicJoin.inbox.waitFor(1);
    await send(topic, 'e', { n: 'public fence' }, false);
    await publicJoin.inbox.waitFor(2);
    expect(privateJoin.inbox.items.map((i) => i.value.payload.n)).toEqual(['private', 'private fence']);
    expect(publicJoin.inbox.items.map((i) => i.value.payload.n)).toEqual(['public', 'public fence']);
  });

  it('refuses a private join the policies do not allow with the hosted Unauthorized reason, for users and anon', async () => {
    const topic = `${SCRATCH}:${alice}`;
    const expected = `Unauthorized: You do not have permissions to read from this Channel topic: ${topic}`;
    expect(await refusedJoin(track(await userRealtimeClient(await mintUserJwt(bob))), topic)).toBe(expected);
    expect(await refusedJoin(track(anonClient()), topic)).toBe(expected);
    // No policy at all for a topic: nobody may read it.
    const nowhere = `nowhere:${randomUUID()}`;
    expect(await refusedJoin(track(await userRealtimeClient(await mintUserJwt(alice))), nowhere)).toBe(
      `Unauthorized: You do not have permissions to read from this Channel topic: ${nowhere}`,
    );
  });

  it('refuses an expired access token at join with the real error reason', async () => {
    const client = track(await userRealtimeClient(await mintUserJwt(alice, { expiresInSeconds: -30 })));
    expect(await refusedJoin(client, `${SCRATCH}:${alice}`)).toMatch(
      /^InvalidJWTToken: Token has expired \d+ seconds ago$/,
    );
  });

  it('closes the channel when its token expires, with a system error first', async () => {
    const client = track(await userRealtimeClient(await mintUserJwt(alice, { expiresInSeconds: 2 })));
    const { statuses, system } = await join(client.channel(`${SCRATCH}:${alice}`, { config: { private: true } }));
    const [message] = await system.waitFor(1, 5_000);
    expect(message?.value).toMatchObject({
      extension: 'system',
      status: 'error',
      message: expect.stringMatching(/^Token has expired \d+ seconds ago$/),
    });
    await statuses.until(() => statuses.items.some((s) => s.value === 'CLOSED'), 'CLOSED');
    expect(statuses.items.map((s) => s.value)).toEqual(['SUBSCRIBED', 'CLOSED']);
  });

  it('works the same over the vsn 1.0.0 JSON-object protocol', async () => {
    const jwt = await mintUserJwt(alice);
    const client = track(
      createClient(stack.apiUrl, stack.publishableKey, { accessToken: async () => jwt, realtime: { vsn: '1.0.0' } }),
    );
    await client.realtime.setAuth();
    const topic = `${SCRATCH}:${alice}`;
    const channel = client.channel(topic, { config: { private: true } });
    const { inbox } = await join(channel);
    await send(topic, 'v1', { n: 9 });
    const [first] = await inbox.waitFor(1);
    expect(first?.value).toMatchObject({ event: 'v1', meta: { id: expect.any(String) }, payload: { n: 9 } });
    expect(await channel.unsubscribe()).toBe('ok');
  });

  it('keeps delivering after its LISTEN connection is killed, including messages committed while it was down', async () => {
    const client = track(await userRealtimeClient(await mintUserJwt(alice)));
    const topic = `${SCRATCH}:${alice}`;
    const { inbox } = await join(client.channel(topic, { config: { private: true } }));
    const listener = `select pid, backend_start from pg_stat_activity where application_name = '${LISTENER_APPLICATION_NAME}'`;
    const before = await db.query<{ pid: number }>(listener);
    expect(before.rowCount).toBe(1);
    // With a timeout, pg_terminate_backend waits until the backend is gone (not merely signalled).
    const terminated = await db.query<{ ok: boolean }>('select pg_terminate_backend($1, 5000) as ok', [
      before.rows[0]!.pid,
    ]);
    expect(terminated.rows[0]?.ok).toBe(true);

    // Sent while nobody listens: the transaction itself sees no listener backend when it commits.
    const down = await db.connect();
    let committedAt: Date;
    try {
      await down.query('begin');
      await down.query(`select realtime.send('{"n":"while down"}', 'e', $1)`, [topic]);
      const seen = await down.query<{ listeners: number; now: Date }>(
        `select count(*)::int as listeners, clock_timestamp() as now from (${listener}) l`,
      );
      expect(seen.rows[0]?.listeners).toBe(0);
      committedAt = seen.rows[0]!.now;
      await down.query('commit');
    } catch (error) {
      // Never hand the pool a connection inside an open transaction.
      await down.query('rollback');
      throw error;
    } finally {
      down.release();
    }
    await inbox.waitFor(1);
    // The outage was real: the listener that delivered it connected after the message was committed.
    const after = await db.query<{ pid: number; backend_start: Date }>(listener);
    expect(after.rowCount).toBe(1);
    expect(after.rows[0]!.pid).not.toBe(before.rows[0]!.pid);
    expect(after.rows[0]!.backend_start.getTime()).toBeGreaterThan(committedAt.getTime());

    await send(topic, 'e', { n: 'after' });
    await inbox.waitFor(2);
    expect(inbox.items.map((i) => i.value.payload.n)).toEqual(['while down', 'after']);
  });
});

describe("realtime: Baton's feeds (export jobs, the exports list, notifications)", () => {
  let orgId = '';
  let otherOrgId = '';
  let member = '';
  let outsider = '';
  let loner = '';
  let sourceId = '';

  /** Matches the broadcast of one job's INSERT or UPDATE on its own topic. */
  const ofJob = (id: string, event: string) => (item: { value: Broadcast }) =>
    item.value.event === event && (item.value.payload.record as { id: string } | null)?.id === id;
  /** Matches the list message sent at once for a change of one job's state. */
  const changeOf = (id: string) => (item: { value: Broadcast }) =>
    item.value.event === 'change' && (item.value.payload.job as { id: string } | undefined)?.id === id;
  type Progress = { id: string; status: string; shards_written: number; rows_written: number };
  const progressOf = (item: { value: Broadcast } | undefined, id: string) =>
    (item?.value.payload.jobs as Progress[] | undefined)?.find((p) => p.id === id);

  async function newJob(organisationId: string, requestedBy: string, source: string): Promise<string> {
    const { rows } = await db.query<{ id: string }>(
      `insert into public.export_jobs (organisation_id, source_id, requested_by, collection, key_field, fields, format, estimated_rows)
       values ($1, $2, $3, 'rt_posts', 'hs_object_id', '{hs_object_id,title}', 'csv', 10) returning id`,
      [organisationId, source, requestedBy],
    );
    return rows[0]!.id;
  }

  /** The list's progress interval, and the organisation's feed due now (as if the interval had passed). */
  async function listFeed(intervalMs: number, organisationId: string): Promise<void> {
    await db.query('update private.export_settings set list_feed_interval_ms = $1', [intervalMs]);
    await makeDue(organisationId);
  }
  async function makeDue(organisationId: string): Promise<void> {
    await db.query(
      `update private.export_list_feeds set sent_at = now() - interval '1 hour' where organisation_id = $1`,
      [organisationId],
    );
  }
  /** Progress of the organisation is waiting for its next list message. */
  async function pending(organisationId: string): Promise<boolean | undefined> {
    const { rows } = await db.query<{ pending: boolean }>(
      'select exists (select 1 from private.export_list_pending where organisation_id = $1) as pending',
      [organisationId],
    );
    return rows[0]?.pending;
  }

  beforeAll(async () => {
    const user = async (name: string) =>
      (await createUser(db, { email: `${name}-${randomUUID().slice(0, 8)}@example.test`, password: 'secret-pw' })).id;
    [member, outsider, loner] = [await user('member'), await user('outsider'), await user('loner')];
    const org = async (name: string, who: string) => {
      const { rows } = await db.query<{ id: string }>(
        'insert into public.organisations (name) values ($1) returning id',
        [name],
      );
      await db.query('insert into public.memberships (organisation_id, user_id) values ($1, $2)', [rows[0]!.id, who]);
      return rows[0]!.id;
    };
    orgId = await org('Realtime Org', member);
    otherOrgId = await org('Other Org', outsider);
    const { rows } = await db.query<{ id: string }>(
      `insert into public.export_sources (organisation_id, collection, label) values ($1, 'rt_posts', 'RT') returning id`,
      [orgId],
    );
    sourceId = rows[0]!.id;
  });

  afterAll(async () => {
    await db.query('update private.export_settings set list_feed_interval_ms = 1000');
  });

  it("delivers a member's job page, list and notification events", async () => {
    const client = track(await userRealtimeClient(await mintUserJwt(member)));
    const jobId = await newJob(orgId, member, sourceId);
    const job = await join(client.channel(`export:${jobId}`, { config: { private: true } }));
    const list = await join(client.channel(`org:${orgId}:exports`, { config: { private: true } }));
    const bell = await join(client.channel(`user:${member}:notifications`, { config: { private: true } }));

    // The job's INSERT was committed just before the joins and may still be on its way (as on hosted,
    // where it passes the replication slot): these checks look for the events that came after it.
    await db.query(`update public.export_jobs set status = 'running', shards_written = 2 where id = $1`, [jobId]);
    await job.inbox.until(() => job.inbox.items.some(ofJob(jobId, 'UPDATE')), 'the UPDATE of the job');
    expect(job.inbox.items.find(ofJob(jobId, 'UPDATE'))?.value).toMatchObject({
      event: 'UPDATE',
      meta: { id: expect.any(String) },
      payload: {
        operation: 'UPDATE',
        schema: 'public',
        table: 'export_jobs',
        record: { id: jobId, organisation_id: orgId, status: 'running', shards_written: 2 },
        old_record: { id: jobId, status: 'queued' },
      },
    });

    // A change of state reaches the list at once, whole, with every unfinished job's progress.
    await list.inbox.until(() => list.inbox.items.some(changeOf(jobId)), 'the change of the job on the list');
    const started = list.inbox.items.find(changeOf(jobId));
    expect(started?.value.payload).toMatchObject({
      at: expect.any(String),
      job: { id: jobId, organisation_id: orgId, status: 'running', shards_written: 2, name: expect.any(String) },
      truncated: false,
    });
    expect(progressOf(started, jobId)).toMatchObject({ status: 'running', shards_written: 2, rows_written: 0 });

    const secondJob = await newJob(orgId, member, sourceId);
    await list.inbox.until(() => list.inbox.items.some(changeOf(secondJob)), 'the creation of the second job');
    const created = list.inbox.items.find(changeOf(secondJob));
    expect(created?.value.payload.job).toMatchObject({ id: secondJob, status: 'queued' });
    expect(progressOf(created, jobId)).toMatchObject({ status: 'running', shards_written: 2 });
    expect(progressOf(created, secondJob)).toMatchObject({ status: 'queued', shards_written: 0 });

    await db.query(
      `insert into public.notifications (user_id, organisation_id, job_id, kind, title, body)
       values ($1, $2, $3, 'export_completed', 'Done', 'All rows written')`,
      [member, orgId, jobId],
    );
    const [note] = await bell.inbox.waitFor(1);
    expect(note?.value).toMatchObject({
      event: 'INSERT',
      payload: {
        operation: 'INSERT',
        table: 'notifications',
        record: { user_id: member, job_id: jobId, kind: 'export_completed' },
      },
    });

    // Read in one tab is read in every tab: setting read_at is broadcast too.
    await db.query('update public.notifications set read_at = now() where job_id = $1', [jobId]);
    const [, read] = await bell.inbox.waitFor(2);
    expect(read?.value).toMatchObject({
      event: 'UPDATE',
      payload: { operation: 'UPDATE', record: { job_id: jobId, read_at: expect.any(String) } },
    });
  });

  it('sends the list progress at most once an interval, a change of state at once, and nothing for no change', async () => {
    const client = track(await userRealtimeClient(await mintUserJwt(member)));
    const jobId = await newJob(orgId, member, sourceId);
    await db.query(`update public.export_jobs set status = 'running' where id = $1`, [jobId]);
    const job = await join(client.channel(`export:${jobId}`, { config: { private: true } }));
    const list = await join(client.channel(`org:${orgId}:exports`, { config: { private: true } }));
    // A fence first, so only what follows is looked at: the job's rename is a change of state.
    await db.query(`update public.export_jobs set name = 'fence' where id = $1`, [jobId]);
    await list.inbox.until(() => list.inbox.items.some(changeOf(jobId)), 'the fence');
    await job.inbox.until(() => job.inbox.items.some(ofJob(jobId, 'UPDATE')), 'the fence on the job page');
    const listFrom = list.inbox.items.length;
    const jobFrom = job.inbox.items.length;

    // A minute's interval, the feed due: the first progress goes out, the next two wait.
    await listFeed(60_000, orgId);
    for (const shards of [1, 2, 3])
      await db.query('update public.export_jobs set shards_written = $2, rows_written = $2 * 250 where id = $1', [
        jobId,
        shards,
      ]);
    expect(await pending(orgId)).toBe(true);
    // Nothing changed (the row is written with the same values): nothing is sent, to either topic.
    await db.query('update public.export_jobs set status = status, shards_written = shards_written where id = $1', [
      jobId,
    ]);
    // A change of state goes out at once, carrying the progress that waited.
    await db.query(`update public.export_jobs set name = 'Renamed' where id = $1`, [jobId]);
    await list.inbox.until(() => list.inbox.items.slice(listFrom).some(changeOf(jobId)), 'the rename');
    await job.inbox.waitFor(jobFrom + 4);
    expect(await pending(orgId)).toBe(false);

    const sent = list.inbox.items.slice(listFrom);
    expect(sent.map((i) => [i.value.event, progressOf(i, jobId)?.shards_written])).toEqual([
      ['progress', 1],
      ['change', 3],
    ]);
    expect(sent[1]?.value.payload.job).toMatchObject({ id: jobId, name: 'Renamed', shards_written: 3 });
    // The job's page got every change, and nothing for the write that changed nothing.
    const updates = job.inbox.items
      .slice(jobFrom)
      .map((i) => i.value.payload.record as { shards_written: number; name: string });
    expect(updates.map((r) => [r.shards_written, r.name])).toEqual([
      [1, 'fence'],
      [2, 'fence'],
      [3, 'fence'],
      [3, 'Renamed'],
    ]);
  });

  it("sends waiting progress with the sweep or a slow page's heartbeat once the interval has passed", async () => {
    const client = track(await userRealtimeClient(await mintUserJwt(member)));
    const jobId = await newJob(orgId, member, sourceId);
    const claim = await db.query<{ work: { claimed: boolean; invocation_id: string; generation: number } }>(
      `select public.claim_export_lane($1, null, 8, '{}'::jsonb) as work`,
      [jobId],
    );
    const work = claim.rows[0]!.work;
    expect(work.claimed).toBe(true);
    const list = await join(client.channel(`org:${orgId}:exports`, { config: { private: true } }));
    await db.query(`update public.export_jobs set name = 'fence 2' where id = $1`, [jobId]);
    await list.inbox.until(() => list.inbox.items.some(changeOf(jobId)), 'the fence');
    const from = list.inbox.items.length;

    await listFeed(60_000, orgId);
    await db.query('update public.export_jobs set shards_written = 1 where id = $1', [jobId]);
    await db.query('update public.export_jobs set shards_written = 2 where id = $1', [jobId]);
    expect(await pending(orgId)).toBe(true);
    // Inside the interval neither sends anything.
    await db.query('select * from public.sweep_export_jobs()');
    expect(await pending(orgId)).toBe(true);
    // Once it has passed, the sweep sends it.
    await makeDue(orgId);
    await db.query('select * from public.sweep_export_jobs()');
    expect(await pending(orgId)).toBe(false);
    await list.inbox.waitFor(from + 2);

    // And a slow page's heartbeat.
    await db.query('update public.export_jobs set shards_written = 3 where id = $1', [jobId]);
    expect(await pending(orgId)).toBe(true);
    await makeDue(orgId);
    const beat = await db.query<{ beat: { held: boolean } }>(
      'select public.heartbeat_export_lane($1, 1, $2, $3) as beat',
      [jobId, work.invocation_id, work.generation],
    );
    expect(beat.rows[0]?.beat.held).toBe(true);
    expect(await pending(orgId)).toBe(false);
    await list.inbox.waitFor(from + 3);

    expect(list.inbox.items.slice(from).map((i) => [i.value.event, progressOf(i, jobId)?.shards_written])).toEqual([
      ['progress', 1],
      ['progress', 2],
      ['progress', 3],
    ]);
  });

  it("never makes one job's write wait for another job's of the organisation: the later one is sent next time", async () => {
    const [first, second] = [await newJob(orgId, member, sourceId), await newJob(orgId, member, sourceId)];
    await listFeed(60_000, orgId);
    const sender = await db.connect();
    const writer = await db.connect();
    try {
      // The first write finds the interval passed: it sends, holding the organisation's feed row.
      await sender.query('begin');
      await sender.query('update public.export_jobs set shards_written = 1 where id = $1', [first]);
      // Another job's progress, and another's change of state, meanwhile: a wait for a lock would fail them.
      await writer.query('begin');
      await writer.query(`set local lock_timeout = '2s'`);
      await writer.query('update public.export_jobs set shards_written = 1 where id = $1', [second]);
      await writer.query(`update public.export_jobs set status = 'running' where id = $1`, [second]);
      await writer.query('update public.export_jobs set shards_written = 2 where id = $1', [second]);
      await writer.query('commit');
      await sender.query('commit');
    } finally {
      await writer.query('rollback');
      await sender.query('rollback');
      writer.release();
      sender.release();
    }
    // The sender could not see the other job's last write: it waits for the next message.
    expect(await pending(orgId)).toBe(true);
    const { rows } = await db.query<{ job_id: string }>(
      'select job_id from private.export_list_pending where organisation_id = $1',
      [orgId],
    );
    expect(rows.map((r) => r.job_id)).toEqual([second]);
    await makeDue(orgId);
    await db.query('select private.flush_export_list_feeds()');
    expect(await pending(orgId)).toBe(false);
  });

  it('refuses every feed to another organisation, anon and a user without a membership, who then receive nothing', async () => {
    const jobId = await newJob(orgId, member, sourceId);
    const topics = [`export:${jobId}`, `org:${orgId}:exports`, `user:${member}:notifications`];
    const strangers = [
      track(await userRealtimeClient(await mintUserJwt(outsider))),
      track(await userRealtimeClient(await mintUserJwt(loner))),
      track(anonClient()),
    ];
    for (const stranger of strangers) {
      for (const topic of topics) {
        expect(await refusedJoin(stranger, topic)).toBe(
          `Unauthorized: You do not have permissions to read from this Channel topic: ${topic}`,
        );
      }
    }
    // The other organisation's member may join their own organisation's list, and hears nothing of this one.
    const outsiderClient = strangers[0]!;
    const own = await join(outsiderClient.channel(`org:${otherOrgId}:exports`, { config: { private: true } }));
    const memberClient = track(await userRealtimeClient(await mintUserJwt(member)));
    const memberList = await join(memberClient.channel(`org:${orgId}:exports`, { config: { private: true } }));
    await db.query(`update public.export_jobs set status = 'running' where id = $1`, [jobId]);
    await memberList.inbox.until(() => memberList.inbox.items.some(changeOf(jobId)), 'the change');
    const { rows } = await db.query<{ id: string }>(
      `insert into public.export_sources (organisation_id, collection, label) values ($1, 'rt_other', 'Other') returning id`,
      [otherOrgId],
    );
    const fence = await newJob(otherOrgId, outsider, rows[0]!.id);
    await own.inbox.waitFor(1);
    expect(own.inbox.items.map((i) => (i.value.payload.job as { id: string }).id)).toEqual([fence]);
    expect(own.inbox.items[0]?.value.payload.jobs).toEqual([expect.objectContaining({ id: fence })]);
  });
});

// ---- the wire, without supabase-js --------------------------------------------------------------

type Frame = [string | null, string | null, string, string, Record<string, unknown>];

/** A raw Phoenix vsn 2.0.0 socket, to check the frames themselves (JSON text frames only). */
async function rawSocket(
  apikey: string,
): Promise<{ ws: WebSocket; frames: Inbox<Frame>; send: (frame: unknown) => void }> {
  const url = `${stack.apiUrl.replace(/^http/, 'ws')}/realtime/v1/websocket?apikey=${encodeURIComponent(apikey)}&vsn=2.0.0`;
  const ws = new WebSocket(url);
  const frames = new Inbox<Frame>();
  ws.on('message', (data, isBinary) => {
    if (!isBinary) frames.push(JSON.parse(String(data)) as Frame);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, frames, send: (frame) => ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame)) };
}

describe('realtime wire protocol', () => {
  it('refuses the upgrade with the gateway 401 bodies for a missing or unknown apikey', async () => {
    const attempt = (query: string) =>
      new Promise<{ status: number; body: unknown }>((resolve, reject) => {
        const ws = new WebSocket(`${stack.apiUrl.replace(/^http/, 'ws')}/realtime/v1/websocket?${query}`);
        ws.on('unexpected-response', (_req, res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown }));
        });
        ws.on('open', () => reject(new Error('upgrade was accepted')));
        ws.on('error', () => {});
      });
    expect(await attempt('vsn=2.0.0')).toEqual({
      status: 401,
      body: { message: 'No API key found in request', hint: 'No `apikey` request header or url param was found.' },
    });
    expect(await attempt('apikey=sb_publishable_unknown&vsn=2.0.0')).toEqual({
      status: 401,
      body: { message: 'Invalid API key', hint: 'Double check your API key.' },
    });
    // A user's token is no API key: it belongs in the join's access_token.
    expect((await attempt(`apikey=${await mintUserJwt(alice)}&vsn=2.0.0`)).status).toBe(401);
  });

  it('answers heartbeats and unmatched topics, survives garbage, replaces a duplicate join, and refuses postgres_changes', async () => {
    const { ws, frames, send } = await rawSocket(stack.publishableKey);
    try {
      send('this is not json');
      ws.send(Buffer.from([3, 1, 1, 200, 0, 0, 1])); // a client broadcast: ignored
      send([null, '1', 'phoenix', 'heartbeat', {}]);
      await frames.waitFor(1);
      expect(frames.items[0]?.value).toEqual([null, '1', 'phoenix', 'phx_reply', { status: 'ok', response: {} }]);

      send(['2', '3', 'realtime:nowhere', 'access_token', { access_token: 'x' }]);
      await frames.waitFor(2);
      expect(frames.items[1]?.value).toEqual([
        '2',
        '3',
        'realtime:nowhere',
        'phx_reply',
        { status: 'error', response: { reason: 'unmatched topic' } },
      ]);

      // A public join (anon, the key's token): ok with no postgres_changes.
      send(['4', '4', 'realtime:raw', 'phx_join', { config: { private: false } }]);
      await frames.waitFor(3);
      expect(frames.items[2]?.value).toEqual([
        '4',
        '4',
        'realtime:raw',
        'phx_reply',
        { status: 'ok', response: { postgres_changes: [] } },
      ]);
      // Joining the same topic again closes the old channel first.
      send(['5', '5', 'realtime:raw', 'phx_join', { config: {} }]);
      await frames.waitFor(5);
      expect(frames.items[3]?.value).toEqual(['4', '4', 'realtime:raw', 'phx_close', {}]);
      expect(frames.items[4]?.value.slice(0, 4)).toEqual(['5', '5', 'realtime:raw', 'phx_reply']);

      const changes = { event: 'UPDATE', schema: 'public', table: 'export_jobs' };
      send(['6', '6', 'realtime:pg', 'phx_join', { config: { postgres_changes: [changes] } }]);
      await frames.waitFor(6);
      expect(frames.items[5]?.value).toEqual([
        '6',
        '6',
        'realtime:pg',
        'phx_reply',
        {
          status: 'error',
          response: {
            reason: 'UnknownErrorOnChannel: the devstack serves Broadcast from Database, not postgres_changes',
          },
        },
      ]);

      // Leave: ok reply, then phx_close with ref = join_ref.
      send(['5', '7', 'realtime:raw', 'phx_leave', {}]);
      await frames.waitFor(8);
      expect(frames.items[6]?.value).toEqual(['5', '7', 'realtime:raw', 'phx_reply', { status: 'ok', response: {} }]);
      expect(frames.items[7]?.value).toEqual(['5', '5', 'realtime:raw', 'phx_close', {}]);
    } finally {
      ws.close();
    }
  });

  it('re-checks the policies on access_token: a private channel whose new token may not read it is closed', async () => {
    const { ws, frames, send } = await rawSocket(stack.publishableKey);
    try {
      const topic = `realtime:${SCRATCH}:${alice}`;
      send(['1', '1', topic, 'phx_join', { config: { private: true }, access_token: await mintUserJwt(alice) }]);
      await frames.waitFor(1);
      expect(frames.items[0]?.value[4]).toEqual({ status: 'ok', response: { postgres_changes: [] } });
      send(['1', '2', topic, 'access_token', { access_token: await mintUserJwt(bob) }]);
      await frames.waitFor(3);
      expect(frames.items[1]?.value).toEqual([
        '1',
        null,
        topic,
        'system',
        {
          channel: `${SCRATCH}:${alice}`,
          extension: 'system',
          message: `Unauthorized: You do not have permissions to read from this Channel topic: ${SCRATCH}:${alice}`,
          status: 'error',
        },
      ]);
      expect(frames.items[2]?.value).toEqual(['1', '1', topic, 'phx_close', {}]);
    } finally {
      ws.close();
    }
  });

  it('rejects a bad access_token in the join payload with an error reply', async () => {
    const { ws, frames, send } = await rawSocket(stack.publishableKey);
    try {
      send(['1', '1', 'realtime:bad', 'phx_join', { config: {}, access_token: 'garbage' }]);
      await frames.waitFor(1);
      expect(frames.items[0]?.value).toEqual([
        '1',
        '1',
        'realtime:bad',
        'phx_reply',
        { status: 'error', response: { reason: 'InvalidJWTToken: The token provided is not a valid JWT' } },
      ]);
    } finally {
      ws.close();
    }
  });
});

// ---- the project's limits -----------------------------------------------------------------------

type Usage = {
  plan: string;
  totals: { messages: number; sent: number; delivered: number; dropped: number; undelivered: number; joins: number };
  current: { users: number; messagesLimited: boolean; joinsLimited: boolean };
  overQuota: { byCode: Record<string, number> };
};

async function usage(): Promise<Usage> {
  const res = await fetch(`${stack.apiUrl}/_devstack/realtime/usage`);
  expect(res.status).toBe(200);
  return (await res.json()) as Usage;
}

async function setQuota(patch: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${stack.apiUrl}/_devstack/realtime/quota`, { method: 'PUT', body: JSON.stringify(patch) });
  expect(res.status).toBe(200);
}

async function usageUntil(done: (u: Usage) => boolean, what: string): Promise<Usage> {
  return vi.waitFor(
    async () => {
      const current = await usage();
      if (!done(current)) throw new Error(`waiting for ${what}: ${JSON.stringify(current)}`);
      return current;
    },
    { timeout: 20_000, interval: 100 },
  );
}

/** A refused WebSocket upgrade's status and JSON body. */
function upgrade(query: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${stack.apiUrl.replace(/^http/, 'ws')}/realtime/v1/websocket?${query}`);
    ws.on('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown }));
    });
    ws.on('open', () => {
      ws.close();
      reject(new Error('upgrade was accepted'));
    });
    ws.on('error', () => {});
  });
}

describe("realtime: the project's limits, counted and answered as hosted does", () => {
  const key = () => `apikey=${encodeURIComponent(stack.publishableKey)}&vsn=2.0.0`;

  afterEach(async () => {
    const res = await fetch(`${stack.apiUrl}/_devstack/realtime/quota`, { method: 'DELETE' });
    expect(res.status).toBe(200);
  });

  it('serves the meter on loopback, validates limit changes, and enforces the Pro plan by default', async () => {
    expect((await usage()).plan).toBe('pro');
    const bad = await fetch(`${stack.apiUrl}/_devstack/realtime/quota`, {
      method: 'PUT',
      body: JSON.stringify({ maxEventsPerSecond: -1, plan: 'enterprise' }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toMatch(/plan/);
  });

  it('counts each committed message once and each delivery once more, and every join', async () => {
    const before = await usage();
    // A user of its own: earlier tests' channels on alice's topic are still joined.
    const carol = randomUUID();
    const topic = `${SCRATCH}:${carol}`;
    const first = await join(
      track(await userRealtimeClient(await mintUserJwt(carol))).channel(topic, { config: { private: true } }),
    );
    const second = await join(
      track(await userRealtimeClient(await mintUserJwt(carol))).channel(topic, { config: { private: true } }),
    );
    for (const n of [1, 2, 3]) await send(topic, 'count', { n });
    await first.inbox.waitFor(3);
    await second.inbox.waitFor(3);
    // Nobody listens to this one: it still counts as sent.
    await send(`nowhere:${randomUUID()}`, 'count', { n: 4 });
    const after = await usageUntil((u) => u.totals.sent - before.totals.sent >= 4, 'the unheard message');
    expect({
      sent: after.totals.sent - before.totals.sent,
      delivered: after.totals.delivered - before.totals.delivered,
      messages: after.totals.messages - before.totals.messages,
      joins: after.totals.joins - before.totals.joins,
    }).toEqual({ sent: 4, delivered: 6, messages: 10, joins: 2 });
    expect(after.current.users).toBeGreaterThanOrEqual(2);
  });

  it('over messages a second: drops committed messages (delivered to nobody) until the rate falls', async () => {
    // 1 s ticks: 30 messages to one subscriber are 60 events, 5 a second over the 12 s the counter keeps.
    await setQuota({ maxEventsPerSecond: 2, tickMs: 1_000 });
    const dave = randomUUID();
    const topic = `${SCRATCH}:${dave}`;
    const { inbox } = await join(
      track(await userRealtimeClient(await mintUserJwt(dave))).channel(topic, { config: { private: true } }),
    );
    for (let n = 0; n < 30; n++) await send(topic, 'flood', { n });
    await inbox.waitFor(30);
    const limited = await usageUntil((u) => u.current.messagesLimited, 'the message limit to trigger');
    for (const n of ['dropped 1', 'dropped 2', 'dropped 3']) await send(topic, 'flood', { n });
    const after = await usageUntil((u) => u.totals.dropped - limited.totals.dropped >= 3, 'three drops');
    expect(after.totals.dropped - limited.totals.dropped).toBe(3);
    expect(after.totals.undelivered - limited.totals.undelivered).toBe(3);
    expect(after.overQuota.byCode.MessagePerSecondRateLimitReached).toBeGreaterThanOrEqual(1);
    // With the counter fresh again, a fence arrives; the dropped messages never did.
    await setQuota({ maxEventsPerSecond: 2, tickMs: 5_000 });
    await send(topic, 'flood', { n: 'fence' });
    await inbox.waitFor(31);
    expect(inbox.items.slice(29).map((i) => i.value.payload.n)).toEqual([29, 'fence']);
  });

  it('over joins a second: refuses the join by disconnecting the socket, then refuses new sockets with 429', async () => {
    await setQuota({ maxJoinsPerSecond: 1, tickMs: 1_000 });
    const { ws, frames, send: push } = await rawSocket(stack.publishableKey);
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    // 10 joins in a 1 s bucket: over 1 a second until they leave the 12 s the counter keeps (10 s).
    for (let i = 1; i <= 10; i++) push([`${i}`, `${i}`, `realtime:joins-${i}`, 'phx_join', { config: {} }]);
    await frames.waitFor(10);
    expect(frames.items.every((f) => (f.value[4] as { status: string }).status === 'ok')).toBe(true);
    await usageUntil((u) => u.current.joinsLimited, 'the join limit to trigger');
    push(['11', '11', 'realtime:joins-11', 'phx_join', { config: {} }]);
    expect(await closed).toBe(1000);
    // The refusal's reply never reached the socket: it was closed first.
    expect(frames.items).toHaveLength(10);
    expect(await upgrade(key())).toEqual({ status: 429, body: { error: 'Too many joins per second' } });
    expect((await usage()).overQuota.byCode).toMatchObject({
      ClientJoinRateLimitReached: expect.any(Number),
      JoinsRateLimitReached: expect.any(Number),
    });
  });

  it('over concurrent connections: refuses a socket that has not joined yet, and new sockets with 429', async () => {
    const { ws, frames, send: push } = await rawSocket(stack.publishableKey);
    try {
      // Every socket that joined a channel counts; this one has not joined anything yet.
      await setQuota({ maxConcurrentUsers: (await usage()).current.users });
      push(['1', '1', 'realtime:full', 'phx_join', { config: {} }]);
      await frames.waitFor(1);
      expect(frames.items[0]?.value).toEqual([
        '1',
        '1',
        'realtime:full',
        'phx_reply',
        { status: 'error', response: { reason: 'ConnectionRateLimitReached: Too many connected users' } },
      ]);
      expect(await upgrade(key())).toEqual({ status: 429, body: { error: 'Too many connected users' } });
    } finally {
      ws.close();
    }
  });

  it('over channels per connection: refuses the join with ChannelRateLimitReached', async () => {
    await setQuota({ maxChannelsPerClient: 2 });
    const { ws, frames, send: push } = await rawSocket(stack.publishableKey);
    try {
      push(['1', '1', 'realtime:a', 'phx_join', { config: {} }]);
      push(['2', '2', 'realtime:b', 'phx_join', { config: {} }]);
      push(['3', '3', 'realtime:c', 'phx_join', { config: {} }]);
      await frames.waitFor(3);
      expect(frames.items.map((f) => f.value[4])).toEqual([
        { status: 'ok', response: { postgres_changes: [] } },
        { status: 'ok', response: { postgres_changes: [] } },
        { status: 'error', response: { reason: 'ChannelRateLimitReached: Too many channels' } },
      ]);
    } finally {
      ws.close();
    }
  });
});
