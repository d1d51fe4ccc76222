import { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';
import { describe, expect, it } from 'vitest';
import type { DevstackContext } from '../context';
import { Channel } from './channel';
import { Connection } from './connection';
import { RateWindow, RealtimeQuota, realtimePlans } from './quota';

function quota(plan: 'free' | 'pro' | 'pro-no-cap' = 'pro', clock = { now: 0 }) {
  const logged: string[] = [];
  const q = new RealtimeQuota({ plan, tickMs: 5_000, log: (m) => logged.push(m), now: () => clock.now });
  return { q, logged, clock };
}

const noUsers = { connections: 0, users: 0, channels: 0 };

describe('RateWindow (hosted RateCounter: 5 s ticks, 12 buckets, average per second)', () => {
  it('averages the kept buckets per second, over fewer while it is young', () => {
    const w = new RateWindow(100, 5_000);
    w.add(500);
    w.tick();
    expect(w.average).toBe(100); // 500 in one 5 s bucket
    w.tick();
    expect(w.average).toBe(50); // 500 over two buckets
    for (let i = 0; i < 20; i++) w.tick();
    expect(w.average).toBe(0); // the burst left the 12-bucket minute
  });

  it('triggers at the tick where the average reaches the limit and clears at the first tick below it', () => {
    const w = new RateWindow(10, 1_000);
    w.add(9);
    expect(w.tick()).toBeNull();
    expect(w.triggered).toBe(false);
    w.add(11); // (9 + 11) / 2 buckets = 10 a second
    expect(w.tick()).toBe('triggered');
    // Between ticks the verdict stands, whatever is added.
    w.add(1_000);
    expect(w.triggered).toBe(true);
    expect(w.tick()).toBeNull();
    let ticks = 0;
    while (w.tick() !== 'cleared') ticks += 1;
    expect(w.triggered).toBe(false);
    // (9 + 11 + 1000) / 12 < 10 only once the 1,000 has left the minute.
    expect(ticks).toBeGreaterThan(5);
  });

  it('starts afresh after five minutes of nothing, as an idle counter shuts down', () => {
    const w = new RateWindow(10, 5_000);
    w.add(10);
    w.tick();
    for (let i = 0; i < 12 + 60; i++) w.tick();
    w.add(50);
    w.tick();
    // A fresh counter: one bucket, not 50 spread over a minute of zeros.
    expect(w.average).toBe(10);
    expect(w.triggered).toBe(true);
  });
});

describe('RealtimeQuota: what it counts', () => {
  it('counts a committed message once and each delivery once more, as hosted bills "1 sent + 1 per receiver"', () => {
    const { q } = quota();
    expect(q.admitMessage(3, 'room')).toBe(true);
    for (let i = 0; i < 3; i++) q.countDelivery();
    expect(q.admitMessage(0, 'empty room')).toBe(true);
    expect(q.usage(noUsers).totals).toMatchObject({ sent: 2, delivered: 3, messages: 5, dropped: 0 });
    q.tick();
    // Hosted's rate: 5 events in one 5 s bucket.
    expect(q.usage(noUsers).current.messagesPerSecond).toBe(1);
  });

  it('keeps the busiest wall-clock second of messages, deliveries and joins', () => {
    const clock = { now: 1_000 };
    const { q } = quota('pro', clock);
    q.admitMessage(2, 't');
    q.countDelivery();
    q.countDelivery();
    clock.now = 2_500;
    q.admitMessage(1, 't');
    q.countDelivery();
    q.checkJoin({ users: 0, socketCounted: false, channelsOnSocket: 0, topic: 't' });
    const usage = q.usage({ connections: 1, users: 1, channels: 1 });
    expect(usage.peaks).toMatchObject({ messagesPerSecond: 3, deliveredPerSecond: 2, joinsPerSecond: 1, users: 1 });
    expect(usage.totals.joins).toBe(1);
  });

  it('takes its limits from the plan, and from a patch until restored', () => {
    const { q } = quota('free');
    expect(q.limits).toEqual(realtimePlans.free);
    q.configure({ maxEventsPerSecond: 3, tickMs: 100 });
    expect(q.usage(noUsers)).toMatchObject({ plan: 'free', tickMs: 100, limits: { maxEventsPerSecond: 3 } });
    q.configure({ plan: 'pro-no-cap' });
    expect(q.limits).toEqual(realtimePlans['pro-no-cap']);
    q.restore();
    expect(q.usage(noUsers)).toMatchObject({ plan: 'free', tickMs: 5_000, limits: realtimePlans.free });
  });
});

describe('RealtimeQuota: how it answers over the limits', () => {
  it('drops committed messages while the message limit is triggered, counting what they would have delivered', () => {
    const { q, logged } = quota();
    q.configure({ maxEventsPerSecond: 1 });
    for (let i = 0; i < 5; i++) {
      q.admitMessage(1, 'room');
      q.countDelivery();
    }
    q.tick(); // 10 events in 5 s: 2 a second
    expect(q.admitMessage(4, 'room')).toBe(false);
    const usage = q.usage(noUsers);
    expect(usage.totals).toMatchObject({ sent: 5, delivered: 5, dropped: 1, undelivered: 4 });
    expect(usage.current.messagesLimited).toBe(true);
    expect(usage.overQuota.byCode).toEqual({ MessagePerSecondRateLimitReached: 1, UnableToBroadcastChanges: 1 });
    expect(logged).toContain('UnableToBroadcastChanges: :too_many_requests (room)');
  });

  it('says a delivery counted while the limit is triggered must shut its channel', () => {
    const { q } = quota();
    q.configure({ maxEventsPerSecond: 1 });
    expect(q.admitMessage(1, 'room')).toBe(true);
    for (let i = 0; i < 9; i++) q.countDelivery();
    expect(q.countDelivery()).toBe(false);
    // The tick lands between taking a message in and delivering it: the channel that delivers it is shut.
    expect(q.admitMessage(1, 'room')).toBe(true);
    q.tick();
    expect(q.countDelivery()).toBe(true);
  });

  it('refuses joins in hosted order: concurrent users, then joins a second (counting), then channels', () => {
    const { q } = quota();
    q.configure({ maxConcurrentUsers: 2, maxJoinsPerSecond: 1, maxChannelsPerClient: 2 });
    const join = (users: number, socketCounted: boolean, channelsOnSocket: number) =>
      q.checkJoin({ users, socketCounted, channelsOnSocket, topic: 'room' });
    // A socket that does not count yet, with the project full: refused before any join is counted.
    expect(join(2, false, 0)).toEqual({
      code: 'ConnectionRateLimitReached',
      message: 'Too many connected users',
      disconnect: false,
    });
    expect(q.usage(noUsers).totals.joins).toBe(0);
    // A socket that already counts may join more channels, up to the channel limit (the join still counts).
    expect(join(2, true, 1)).toBeNull();
    expect(join(2, true, 2)).toEqual({
      code: 'ChannelRateLimitReached',
      message: 'Too many channels',
      disconnect: false,
    });
    expect(q.usage(noUsers).totals.joins).toBe(2);
    for (let i = 0; i < 8; i++) join(1, true, 0);
    q.tick(); // 10 joins in 5 s
    expect(join(1, true, 0)).toEqual({
      code: 'ClientJoinRateLimitReached',
      message: 'Too many joins per second',
      disconnect: true,
    });
    expect(q.usage(noUsers).totals.joins).toBe(10);
    expect(q.usage(noUsers).overQuota.byCode).toMatchObject({
      ConnectionRateLimitReached: 1,
      ChannelRateLimitReached: 1,
      ClientJoinRateLimitReached: 2, // the tick that triggered it, and the refused join
    });
  });

  it('refuses new sockets over concurrent users or while joins are limited, and counts the others', () => {
    const { q } = quota();
    q.configure({ maxConcurrentUsers: 1, maxJoinsPerSecond: 1 });
    expect(q.checkConnect(0)).toBeNull();
    expect(q.checkConnect(1)).toMatchObject({
      code: 'ConnectionRateLimitReached',
      message: 'Too many connected users',
    });
    for (let i = 0; i < 5; i++) q.checkJoin({ users: 0, socketCounted: true, channelsOnSocket: 0, topic: 't' });
    q.tick();
    expect(q.checkConnect(0)).toMatchObject({ code: 'JoinsRateLimitReached', message: 'Too many joins per second' });
    expect(q.usage(noUsers).totals.connections).toBe(1);
  });
});

/** A socket that records what is sent on it. */
function fakeSocket(): { ws: WebSocket; sent: unknown[] } {
  const sent: unknown[] = [];
  const ws = Object.assign(new EventEmitter(), {
    OPEN: 1,
    CLOSED: 3,
    readyState: 1,
    send: (data: unknown) => sent.push(typeof data === 'string' ? JSON.parse(data) : data),
    close: () => {},
  });
  return { ws: ws as unknown as WebSocket, sent };
}

describe('Connection over the message limit', () => {
  it('delivers, then shuts the channel with the system error and phx_close when its delivery finds the limit triggered', () => {
    const { q } = quota();
    q.configure({ maxEventsPerSecond: 1 });
    const ctx = { config: { realtimeErrorBackoffMs: 0 }, log: () => {} } as unknown as DevstackContext;
    const { ws, sent } = fakeSocket();
    const connection = new Connection(ctx, { quota: q, users: () => 1 }, ws, '1.0.0', 'key', {});
    const channel = new Channel('realtime:room', '1', { role: 'anon' }, 'key', false);
    connection.channels.set(channel.topic, channel);
    const message = { id: 'm1', topic: 'room', event: 'e', payload: { n: 1 }, private: false, insertedAt: '' };

    connection.deliver(message);
    expect(sent).toHaveLength(1);
    for (let i = 0; i < 9; i++) q.countDelivery();
    q.tick();
    connection.deliver({ ...message, id: 'm2' });
    expect(sent.slice(1)).toEqual([
      {
        topic: 'realtime:room',
        event: 'broadcast',
        payload: { type: 'broadcast', event: 'e', meta: { id: 'm2' }, payload: { n: 1 } },
        ref: null,
        join_ref: null,
      },
      {
        topic: 'realtime:room',
        event: 'system',
        payload: { channel: 'room', extension: 'system', message: 'Too many messages per second', status: 'error' },
        ref: null,
        join_ref: '1',
      },
      { topic: 'realtime:room', event: 'phx_close', payload: {}, ref: '1', join_ref: '1' },
    ]);
    expect(connection.channels.size).toBe(0);
    expect(q.usage(noUsers).overQuota.byCode).toMatchObject({ ChannelShutdown: 1 });
  });
});
