import { describe, expect, it, vi } from 'vitest';
import { FakeWorld, type PortEvent } from './fake-worker.ts';
import { BATON_POLL_FIRST_MS, BATON_POLL_MAX_MS, HEIR_WAIT_MS, WARM_UP_ROUNDS } from './take-lease.ts';

vi.mock('../sha256.ts', () => import('./instant-sha256.ts'));

const HOLDER = '00000000-0000-4000-8000-00000000beef';

/** Two pages written (keys 10–80), the cursor at 80, the lane held by HOLDER: the worker starts as its heir. */
function heirWorld(options: ConstructorParameters<typeof FakeWorld>[0] = {}) {
  const world = new FakeWorld({ latency: { rpc: 2 }, meter: { timedWorkMs: 1, exchangeMs: 0 }, ...options });
  world.seedShards(2);
  world.holdBy(HOLDER);
  return world;
}

const starts = (world: FakeWorld, match: (e: PortEvent) => boolean) =>
  world.events.filter((e) => e.phase === 'start' && match(e));
describe('take lease: claim', () => {
  it('claims the lane with the lease length and any budget the request carries', async () => {
    const world = new FakeWorld();
    await world.run({ budget: { timeMs: 5_000 } });
    expect(world.rpcCalls('claim_export_lane')[0]?.args).toEqual({
      p_job_id: world.leasesTold[0]?.p_job_id,
      p_lane_no: 1,
      p_lease_seconds: 8,
      p_budget: { timeMs: 5_000 },
    });
  });
});

describe('take lease: as an heir', () => {
  it('previews, warms up on the current page, then registers and looks for the baton', async () => {
    const world = heirWorld();
    await world.run({ heirOf: HOLDER }, 200);
    const order = world.calls.map((c) => c.fn ?? c.port).slice(0, 4);
    expect(order).toEqual(['preview_export_heir', 'search', 'register_export_heir', 'poll_export_baton']);
    // The warm-up page is the one after the cursor, encoded WARM_UP_ROUNDS times (1 ms of CPU each here).
    expect(world.searchFilters[0]).toBe('hs_object_id:>80');
    expect(world.meter.cpuMs).toBe(WARM_UP_ROUNDS);
    expect(world.heir).toBe(world.rpcCalls('poll_export_baton')[0]?.args?.p_invocation_id);
  });

  it('waits between looks, 10 ms growing by half to 50 ms, and gives up after the wait: stepped back', async () => {
    const world = heirWorld();
    const ran = await world.run({ heirOf: HOLDER });
    expect(ran).toMatchObject({ kind: 'ended', result: { outcome: 'declined' } });
    const polls = starts(world, (e) => e.fn === 'poll_export_baton');
    const gaps = polls.slice(1, 7).map((p, i) => p.t - polls[i]!.t - world.latency.rpc);
    expect(gaps).toEqual([10, 15, 22.5, 33.75, 50, 50]);
    expect(BATON_POLL_FIRST_MS).toBe(10);
    expect(BATON_POLL_MAX_MS).toBe(50);
    // The last look says it gives up; the wait is HEIR_WAIT_MS from the registration.
    const registeredAt = world.events.find((e) => e.fn === 'register_export_heir' && e.phase === 'end')!.t;
    const lastPoll = world.rpcCalls('poll_export_baton').at(-1)!;
    expect(lastPoll.args?.p_give_up).toBe(true);
    expect(polls.at(-1)!.t - registeredAt).toBeGreaterThanOrEqual(HEIR_WAIT_MS);
    expect(polls.at(-1)!.t - registeredAt).toBeLessThan(HEIR_WAIT_MS + BATON_POLL_MAX_MS + 10);
    expect(world.rpcCalls('poll_export_baton').filter((c) => c.args?.p_give_up)).toHaveLength(1);
    // Stepped back: no claim of its own, nothing written, the lane still the holder's.
    expect(world.rpcCalls('claim_export_lane')).toHaveLength(0);
    expect(world.eventsOf('upload')).toHaveLength(0);
    expect(world.heir).toBeNull();
    expect(world.owner).toBe(HOLDER);
  });

  it('reads ahead the announced page, and with the baton writes it without fetching it again', async () => {
    const world = heirWorld();
    // The holder announces its last page (keys 90–120) at 100 ms, and passes the baton with it at 300 ms.
    world.clock.schedule(100, () => (world.batonAfterKey = 120n));
    world.clock.schedule(300, () => world.passBatonToHeir(120n, 4));
    const ran = await world.run({ heirOf: HOLDER });
    // Keys 130–200: two pages.
    expect(ran).toMatchObject({ kind: 'ended', result: { outcome: 'completed', shardsWritten: 2 } });
    // One search after 120 (the read-ahead), before the baton came.
    expect(world.searchFilters.filter((f) => f === 'hs_object_id:>120')).toHaveLength(1);
    const readAhead = world.events.find((e) => e.port === 'search' && e.phase === 'start' && e.t >= 100)!;
    expect(readAhead.t).toBeLessThan(300);
    // After the announcement the looks are 10 ms apart again.
    const polls = starts(world, (e) => e.fn === 'poll_export_baton' && e.t > 100 && e.t < 140);
    expect(polls[1]!.t - polls[0]!.t - world.latency.rpc).toBe(10);
    expect(world.rpcCalls('poll_export_baton').map((c) => c.args?.p_seen_after_key)).toContain('120');
    // Its first shard continues the lane where the holder left it.
    expect(world.rpcCalls('record_export_shard')[0]?.args).toMatchObject({ p_lane_seq: 4, p_key_after: '120' });
    expect(world.storageKeys()).toEqual(world.manifestKeys());
  });

  it('fetches afresh when the lane’s cursor is not where the announced page began', async () => {
    const world = heirWorld();
    world.clock.schedule(100, () => (world.batonAfterKey = 120n));
    // The holder wrote another page after all (it ends at 160): the read-ahead page is not the next one.
    world.clock.schedule(300, () => world.passBatonToHeir(160n, 8));
    const ran = await world.run({ heirOf: HOLDER });
    expect(ran).toMatchObject({ kind: 'ended', result: { outcome: 'completed' } });
    // Its first shard is the page after the cursor (keys 170–200), not the one read ahead (130–160).
    expect(world.rpcCalls('record_export_shard')[0]?.args).toMatchObject({ p_key_after: '160', p_key_last: '200' });
    expect(world.searchFilters.filter((f) => f === 'hs_object_id:>160')).toHaveLength(1);
    expect(world.storageKeys()).toEqual(world.manifestKeys());
  });

  it('fetches afresh when reading ahead failed', async () => {
    const world = heirWorld();
    world.clock.schedule(100, () => (world.batonAfterKey = 120n));
    world.clock.schedule(300, () => world.passBatonToHeir(120n, 4));
    world.beforeAnswer = (call) => {
      if (call.port === 'search' && world.clock.now() < 300 && world.clock.now() > 100) throw new Error('source down');
    };
    const ran = await world.run({ heirOf: HOLDER });
    expect(ran).toMatchObject({ kind: 'ended', result: { outcome: 'completed' } });
    expect(world.searchFilters.filter((f) => f === 'hs_object_id:>120')).toHaveLength(2);
    expect(world.logs.some((l) => l.startsWith('reading ahead failed'))).toBe(true);
  });

  it('claims the lane as any invocation when it cannot register (the holder has left)', async () => {
    const world = heirWorld();
    world.owner = null;
    const ran = await world.run({ heirOf: HOLDER });
    expect(ran).toMatchObject({ kind: 'ended', result: { outcome: 'completed' } });
    expect(world.calls.map((c) => c.fn ?? c.port).slice(0, 3)).toEqual([
      'preview_export_heir',
      'register_export_heir',
      'claim_export_lane',
    ]);
  });

  it('steps back when the holder leaves without passing the baton', async () => {
    const world = heirWorld();
    world.clock.schedule(200, () => {
      world.owner = null;
      world.heir = null;
    });
    const ran = await world.run({ heirOf: HOLDER });
    expect(ran).toMatchObject({ kind: 'ended', result: { outcome: 'declined' } });
    expect(world.clock.now()).toBeLessThan(300);
    expect(world.logs.some((l) => l.includes('not claimed (not_passed)'))).toBe(true);
  });
});
