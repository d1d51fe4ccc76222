import { randomUUID } from 'node:crypto';
import type { RealtimeChannel, RealtimePostgresChangesPayload, SupabaseClient } from '@supabase/supabase-js';
import pg from 'pg';
import WebSocket from 'ws';
import { createClient } from '@supabase/supabase-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anonClient, mintUserJwt, userRealtimeClient } from './clients';
import { testStack } from './stack-info';

/**
 * Realtime through the official client (supabase-js 2.119.1 / realtime-js): rows are written with
 * `pg` as the superuser, so this depends on nothing but Postgres and the realtime service.
 */

type Row = Record<string, unknown>;
type Change = RealtimePostgresChangesPayload<Row>;

const JOBS = 'rt_test_jobs';
const NOTES = 'rt_test_notes';
/** How long "nothing arrives" is given to prove itself; deliveries take a few ms here. */
const QUIET_MS = 1_500;

const stack = testStack();
const db = new pg.Pool({ connectionString: stack.pgConnectionString, max: 4 });
const alice = randomUUID();
const bob = randomUUID();
const clients: SupabaseClient[] = [];

function track(client: SupabaseClient): SupabaseClient {
  clients.push(client);
  return client;
}

/** Collects a channel's callbacks so a test can wait for the n-th one or assert silence. */
class Inbox<T> {
  readonly items: Array<{ at: number; value: T }> = [];
  private waiters: Array<() => void> = [];

  push = (value: T): void => {
    this.items.push({ at: performance.now(), value });
    for (const wake of this.waiters.splice(0)) wake();
  };

  async waitFor(count: number, timeoutMs = 5_000): Promise<Array<{ at: number; value: T }>> {
    const deadline = Date.now() + timeoutMs;
    while (this.items.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`expected ${count} item(s), got ${this.items.length}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.items;
  }
}

type Subscribed = { statuses: string[]; system: Inbox<Record<string, unknown>> };

/** Subscribes and resolves on SUBSCRIBED; rejects with the client's error on CHANNEL_ERROR/TIMED_OUT. */
function subscribe(channel: RealtimeChannel): Promise<Subscribed> {
  const statuses: string[] = [];
  const system = new Inbox<Record<string, unknown>>();
  channel.on('system', {}, (payload: Record<string, unknown>) => system.push(payload));
  return new Promise((resolve, reject) => {
    channel.subscribe((status, err) => {
      statuses.push(status);
      if (status === 'SUBSCRIBED') resolve({ statuses, system });
      else if (status === 'CHANNEL_ERROR' || status === 'TIMED_OUT') reject(err ?? new Error(status));
    });
  });
}

async function insertJob(owner: string, fields: Row = {}): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `insert into ${JOBS} (owner, status, progress, meta) values ($1, $2, $3, $4) returning id`,
    [owner, fields.status ?? 'queued', fields.progress ?? 0, JSON.stringify(fields.meta ?? {})],
  );
  const id = rows[0]?.id;
  if (!id) throw new Error('insert returned no id');
  return id;
}

beforeAll(async () => {
  await db.query(`
    drop table if exists ${JOBS}, ${NOTES};
    create table ${JOBS} (
      id uuid primary key default gen_random_uuid(),
      owner uuid not null,
      status text not null,
      progress int not null default 0,
      meta jsonb not null default '{}',
      note text,
      updated_at timestamptz not null default now()
    );
    alter table ${JOBS} enable row level security;
    create policy owner_reads on ${JOBS} for select to authenticated using (owner = auth.uid());
    grant select on ${JOBS} to authenticated;

    create table ${NOTES} (
      id bigserial primary key,
      user_id uuid not null,
      kind text not null,
      body text not null default ''
    );
    alter table ${NOTES} enable row level security;
    create policy user_reads on ${NOTES} for select to authenticated using (user_id = auth.uid());
    grant select on ${NOTES} to authenticated;

    alter publication supabase_realtime add table ${JOBS}, ${NOTES};
  `);
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.removeAllChannels()));
  await db.query(`alter publication supabase_realtime drop table ${JOBS}, ${NOTES}`).catch(() => {});
  await db.end();
});

describe('realtime postgres_changes through supabase-js', () => {
  it('subscribes, and delivers an UPDATE on the filtered row within a second, with the real payload shape', async () => {
    const client = track(await userRealtimeClient(await mintUserJwt(alice)));
    const jobId = await insertJob(alice);
    const otherId = await insertJob(alice);
    const inbox = new Inbox<Change>();
    const channel = client
      .channel(`job-${jobId}`)
      .on('postgres_changes', { event: 'UPDATE', schema: 'public', table: JOBS, filter: `id=eq.${jobId}` }, inbox.push);
    const { statuses, system } = await subscribe(channel);
    expect(statuses).toEqual(['SUBSCRIBED']);
    const [ready] = await system.waitFor(1);
    expect(ready?.value).toEqual({
      channel: `job-${jobId}`,
      extension: 'postgres_changes',
      message: 'Subscribed to PostgreSQL',
      status: 'ok',
    });

    // A change to another row must not reach this filtered subscription.
    await db.query(`update ${JOBS} set status = 'running' where id = $1`, [otherId]);
    const started = performance.now();
    await db.query(`update ${JOBS} set status = 'running', progress = 42, meta = '{"shards":3}' where id = $1`, [
      jobId,
    ]);
    const [first] = await inbox.waitFor(1);
    const latencyMs = (first?.at ?? Infinity) - started;
    console.log(`realtime UPDATE latency: ${latencyMs.toFixed(1)} ms`);
    expect(latencyMs).toBeLessThan(1_000);

    const change = first?.value;
    expect(change).toMatchObject({
      schema: 'public',
      table: JOBS,
      eventType: 'UPDATE',
      errors: null,
      old: { id: jobId },
      new: { id: jobId, owner: alice, status: 'running', progress: 42, meta: { shards: 3 }, note: null },
    });
    expect(change?.commit_timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(typeof (change?.new as Row).updated_at).toBe('string');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(inbox.items).toHaveLength(1);
  });

  it('does not send a change to a subscriber whom RLS hides the row from', async () => {
    const jobId = await insertJob(alice);
    const aliceInbox = new Inbox<Change>();
    const bobInbox = new Inbox<Change>();
    const filter = { event: 'UPDATE' as const, schema: 'public', table: JOBS, filter: `id=eq.${jobId}` };
    const aliceClient = track(await userRealtimeClient(await mintUserJwt(alice)));
    const bobClient = track(await userRealtimeClient(await mintUserJwt(bob)));
    const anon = track(anonClient());
    const anonInbox = new Inbox<Change>();
    await Promise.all([
      subscribe(aliceClient.channel(`rls-a-${jobId}`).on('postgres_changes', filter, aliceInbox.push)),
      subscribe(bobClient.channel(`rls-b-${jobId}`).on('postgres_changes', filter, bobInbox.push)),
      subscribe(anon.channel(`rls-anon-${jobId}`).on('postgres_changes', filter, anonInbox.push)),
    ]);

    await db.query(`update ${JOBS} set progress = 7 where id = $1`, [jobId]);
    await aliceInbox.waitFor(1);
    await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
    expect(aliceInbox.items).toHaveLength(1);
    expect(bobInbox.items).toHaveLength(0);
    expect(anonInbox.items).toHaveLength(0);
  });

  it('delivers a row far bigger than NOTIFY’s 8,000-byte payload whole', async () => {
    const client = track(await userRealtimeClient(await mintUserJwt(alice)));
    const jobId = await insertJob(alice);
    const inbox = new Inbox<Change>();
    await subscribe(
      client
        .channel(`big-${jobId}`)
        .on('postgres_changes', { event: '*', schema: 'public', table: JOBS, filter: `id=eq.${jobId}` }, inbox.push),
    );
    const note = Array.from({ length: 20_000 }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
    await db.query(`update ${JOBS} set note = $2 where id = $1`, [jobId, note]);
    const [first] = await inbox.waitFor(1);
    const record = first?.value.new as Row;
    expect(record.note).toBe(note);
    expect((record.note as string).length).toBe(20_000);
  });

  it('delivers INSERTs matching an `in` filter (ANDed with another condition) and nothing else', async () => {
    const client = track(await userRealtimeClient(await mintUserJwt(alice)));
    const inbox = new Inbox<Change>();
    await subscribe(
      client
        .channel(`notes-${alice}`)
        .on(
          'postgres_changes',
          { event: 'INSERT', schema: 'public', table: NOTES, filter: `user_id=eq.${alice},kind=in.(completed,failed)` },
          inbox.push,
        ),
    );
    await db.query(
      `insert into ${NOTES} (user_id, kind, body) values ($1, 'progress', 'p'), ($2, 'completed', 'not yours'), ($1, 'completed', 'done!')`,
      [alice, bob],
    );
    await db.query(`update ${NOTES} set body = 'edited' where user_id = $1`, [alice]);
    await db.query(`insert into ${NOTES} (user_id, kind, body) values ($1, 'failed', 'oops')`, [alice]);
    const items = await inbox.waitFor(2);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(
      items.map((item) => [item.value.eventType, (item.value.new as Row).kind, (item.value.new as Row).body]),
    ).toEqual([
      ['INSERT', 'completed', 'done!'],
      ['INSERT', 'failed', 'oops'],
    ]);
    expect(typeof (items[0]?.value.new as Row).id).toBe('number');
  });

  it('sends DELETE with the primary key only in old_record', async () => {
    const client = track(await userRealtimeClient(await mintUserJwt(alice)));
    const jobId = await insertJob(alice, { status: 'completed' });
    const inbox = new Inbox<Change>();
    await subscribe(
      client
        .channel(`del-${jobId}`)
        .on(
          'postgres_changes',
          { event: 'DELETE', schema: 'public', table: JOBS, filter: `id=eq.${jobId}` },
          inbox.push,
        ),
    );
    await db.query(`update ${JOBS} set progress = 1 where id = $1`, [jobId]); // not a DELETE: ignored
    await db.query(`delete from ${JOBS} where id = $1`, [jobId]);
    const [first] = await inbox.waitFor(1);
    expect(first?.value).toMatchObject({
      eventType: 'DELETE',
      schema: 'public',
      table: JOBS,
      new: {},
      old: { id: jobId },
      errors: null,
    });
    expect(Object.keys(first?.value.old as Row)).toEqual(['id']);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(inbox.items).toHaveLength(1);
  });

  it('reports CLOSED on unsubscribe and stops delivering', async () => {
    const client = track(await userRealtimeClient(await mintUserJwt(alice)));
    const jobId = await insertJob(alice);
    const inbox = new Inbox<Change>();
    const channel = client
      .channel(`leave-${jobId}`)
      .on('postgres_changes', { event: 'UPDATE', schema: 'public', table: JOBS, filter: `id=eq.${jobId}` }, inbox.push);
    const { statuses } = await subscribe(channel);
    expect(await channel.unsubscribe()).toBe('ok');
    expect(statuses).toEqual(['SUBSCRIBED', 'CLOSED']);
    await db.query(`update ${JOBS} set progress = 5 where id = $1`, [jobId]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(inbox.items).toHaveLength(0);
  });

  it('refuses an expired access token at join with the real error reason', async () => {
    const client = track(await userRealtimeClient(await mintUserJwt(alice, { expiresInSeconds: -30 })));
    const channel = client
      .channel('expired')
      .on('postgres_changes', { event: '*', schema: 'public', table: JOBS }, () => {});
    await expect(subscribe(channel)).rejects.toThrow(/InvalidJWTToken: Token has expired \d+ seconds ago/);
    await client.removeChannel(channel);
  });

  it('closes the channel when its token expires, with a system error first', async () => {
    const client = track(await userRealtimeClient(await mintUserJwt(alice, { expiresInSeconds: 2 })));
    const channel = client
      .channel('expiring')
      .on('postgres_changes', { event: '*', schema: 'public', table: JOBS }, () => {});
    const { statuses, system } = await subscribe(channel);
    const messages = await system.waitFor(2, 5_000);
    expect(messages[1]?.value).toMatchObject({
      extension: 'system',
      status: 'error',
      message: expect.stringMatching(/^Token has expired \d+ seconds ago$/),
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(statuses).toEqual(['SUBSCRIBED', 'CLOSED']);
  });

  it('works the same over the vsn 1.0.0 JSON-object protocol', async () => {
    const jwt = await mintUserJwt(alice);
    const client = track(
      createClient(stack.apiUrl, stack.anonKey, {
        accessToken: async () => jwt,
        realtime: { vsn: '1.0.0' },
      }),
    );
    await client.realtime.setAuth();
    const jobId = await insertJob(alice);
    const inbox = new Inbox<Change>();
    const channel = client
      .channel(`v1-${jobId}`)
      .on('postgres_changes', { event: 'UPDATE', schema: 'public', table: JOBS, filter: `id=eq.${jobId}` }, inbox.push);
    await subscribe(channel);
    await db.query(`update ${JOBS} set progress = 9 where id = $1`, [jobId]);
    const [first] = await inbox.waitFor(1);
    expect(first?.value).toMatchObject({ eventType: 'UPDATE', new: { id: jobId, progress: 9 }, old: { id: jobId } });
    expect(await channel.unsubscribe()).toBe('ok');
  });

  it('relays broadcasts (binary kind-3 from vsn 2.0.0) to the other subscribers of the topic', async () => {
    const sender = track(anonClient());
    const receiver = track(anonClient());
    const inbox = new Inbox<unknown>();
    const topic = `room-${randomUUID()}`;
    const senderChannel = sender.channel(topic);
    const senderInbox = new Inbox<unknown>();
    senderChannel.on('broadcast', { event: 'ping' }, senderInbox.push);
    await subscribe(senderChannel);
    await subscribe(receiver.channel(topic).on('broadcast', { event: 'ping' }, inbox.push));
    expect(await senderChannel.send({ type: 'broadcast', event: 'ping', payload: { n: 1 } })).toBe('ok');
    const [first] = await inbox.waitFor(1);
    expect(first?.value).toEqual({ type: 'broadcast', event: 'ping', payload: { n: 1 } });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(senderInbox.items).toHaveLength(0); // self: false
  });

  it('keeps delivering after its LISTEN connection is killed, including changes made while it was down', async () => {
    const client = track(await userRealtimeClient(await mintUserJwt(alice)));
    const jobId = await insertJob(alice);
    const inbox = new Inbox<Change>();
    await subscribe(
      client
        .channel(`reconnect-${jobId}`)
        .on(
          'postgres_changes',
          { event: 'UPDATE', schema: 'public', table: JOBS, filter: `id=eq.${jobId}` },
          inbox.push,
        ),
    );
    const killed = await db.query(
      `select pg_terminate_backend(pid) from pg_stat_activity where query = 'listen devstack_realtime' and pid <> pg_backend_pid()`,
    );
    expect(killed.rowCount).toBe(1);
    await db.query(`update ${JOBS} set progress = 1 where id = $1`, [jobId]); // likely while down
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await db.query(`update ${JOBS} set progress = 2 where id = $1`, [jobId]);
    const items = await inbox.waitFor(2, 5_000);
    expect(items.map((item) => (item.value.new as Row).progress)).toEqual([1, 2]);
  });

  it('reports a filter on an unknown column as a postgres_changes system error', async () => {
    const client = track(await userRealtimeClient(await mintUserJwt(alice)));
    const channel = client
      .channel('bad-filter')
      .on('postgres_changes', { event: '*', schema: 'public', table: JOBS, filter: 'nope=eq.1' }, () => {});
    const { system } = await subscribe(channel);
    const [message] = await system.waitFor(1);
    expect(message?.value).toMatchObject({
      extension: 'postgres_changes',
      status: 'error',
      message: 'invalid column for filter nope',
    });
  });
});

// ---- the wire, without supabase-js --------------------------------------------------------------

type Frame = [string | null, string | null, string, string, Record<string, unknown>];

/** A raw Phoenix vsn 2.0.0 socket, to check the frames themselves. */
async function rawSocket(
  apikey: string,
): Promise<{ ws: WebSocket; frames: Inbox<Frame>; send: (frame: unknown) => void }> {
  const url = `${stack.apiUrl.replace(/^http/, 'ws')}/realtime/v1/websocket?apikey=${encodeURIComponent(apikey)}&vsn=2.0.0`;
  const ws = new WebSocket(url);
  const frames = new Inbox<Frame>();
  ws.on('message', (data) => frames.push(JSON.parse(String(data)) as Frame));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, frames, send: (frame) => ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame)) };
}

describe('realtime wire protocol', () => {
  it('keeps captured changes out of reach of the API roles', async () => {
    const client = await db.connect();
    try {
      for (const role of ['anon', 'authenticated']) {
        await client.query('begin');
        await client.query(`set local role ${role}`);
        await expect(client.query('select count(*) from _realtime.changes')).rejects.toThrow(/permission denied/);
        await client.query('rollback');
      }
    } finally {
      client.release();
    }
  });

  it('refuses the upgrade with 401 JSON for a bad or missing apikey', async () => {
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
    expect(await attempt('apikey=not-a-jwt&vsn=2.0.0')).toEqual({
      status: 401,
      body: { error: 'The token provided is not a valid JWT' },
    });
    expect(await attempt('vsn=2.0.0')).toEqual({ status: 401, body: { error: 'API key is missing' } });
    const forged = (await mintUserJwt(alice)).replace(/\.[^.]+$/, '.AAAA');
    expect((await attempt(`apikey=${forged}&vsn=2.0.0`)).status).toBe(401);
    expect(await attempt(`apikey=${await mintUserJwt(alice, { expiresInSeconds: -5 })}&vsn=2.0.0`)).toEqual({
      status: 401,
      body: { error: 'Token has expired' },
    });
  });

  it('answers heartbeats, unmatched topics, survives garbage, replaces a duplicate join and updates claims on access_token', async () => {
    const { ws, frames, send } = await rawSocket(stack.anonKey);
    try {
      send('this is not json');
      send(new Uint8Array([3, 9, 9]).toString());
      ws.send(Buffer.from([3, 1, 1, 200, 0, 0, 1])); // truncated binary broadcast
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

      // Join as anon (no access_token → the apikey), on a row only alice can see.
      const jobId = await insertJob(alice);
      const params = { event: 'UPDATE', schema: 'public', table: JOBS, filter: `id=eq.${jobId}` };
      send(['4', '4', 'realtime:raw', 'phx_join', { config: { postgres_changes: [params], private: false } }]);
      await frames.waitFor(4);
      const reply = frames.items[2]?.value;
      expect(reply?.slice(0, 4)).toEqual(['4', '4', 'realtime:raw', 'phx_reply']);
      const response = reply?.[4] as { status: string; response: { postgres_changes: Array<Record<string, unknown>> } };
      expect(response.status).toBe('ok');
      const id = response.response.postgres_changes[0]?.id;
      expect(response.response.postgres_changes).toEqual([{ ...params, id }]);
      expect(Number.isInteger(id)).toBe(true);
      expect(frames.items[3]?.value).toEqual([
        '4',
        null,
        'realtime:raw',
        'system',
        { channel: 'raw', extension: 'postgres_changes', message: 'Subscribed to PostgreSQL', status: 'ok' },
      ]);

      // Joining the same topic again closes the old channel first.
      send(['5', '5', 'realtime:raw', 'phx_join', { config: { postgres_changes: [params] } }]);
      await frames.waitFor(7);
      expect(frames.items[4]?.value).toEqual(['4', '4', 'realtime:raw', 'phx_close', {}]);
      expect(frames.items[5]?.value.slice(0, 4)).toEqual(['5', '5', 'realtime:raw', 'phx_reply']);

      // As anon the row is invisible; after access_token carries alice's token it arrives.
      await db.query(`update ${JOBS} set progress = 1 where id = $1`, [jobId]);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(frames.items).toHaveLength(7);
      send(['5', '6', 'realtime:raw', 'access_token', { access_token: await mintUserJwt(alice) }]);
      await db.query(`update ${JOBS} set progress = 2 where id = $1`, [jobId]);
      await frames.waitFor(8);
      const push = frames.items[7]?.value;
      expect(push?.slice(0, 4)).toEqual([null, null, 'realtime:raw', 'postgres_changes']);
      expect(push?.[4]).toMatchObject({ ids: [id], data: { type: 'UPDATE', record: { progress: 2 }, errors: null } });
      const columns = (push?.[4] as { data: { columns: unknown } }).data.columns;
      expect(columns).toEqual([
        { name: 'id', type: 'uuid' },
        { name: 'owner', type: 'uuid' },
        { name: 'status', type: 'text' },
        { name: 'progress', type: 'int4' },
        { name: 'meta', type: 'jsonb' },
        { name: 'note', type: 'text' },
        { name: 'updated_at', type: 'timestamptz' },
      ]);

      // Leave: ok reply, then phx_close with ref = join_ref.
      send(['5', '7', 'realtime:raw', 'phx_leave', {}]);
      await frames.waitFor(10);
      expect(frames.items[8]?.value).toEqual(['5', '7', 'realtime:raw', 'phx_reply', { status: 'ok', response: {} }]);
      expect(frames.items[9]?.value).toEqual(['5', '5', 'realtime:raw', 'phx_close', {}]);
    } finally {
      ws.close();
    }
  });

  it('rejects a bad access_token in the join payload with an error reply', async () => {
    const { ws, frames, send } = await rawSocket(stack.anonKey);
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
