import { describe, expect, it, vi } from 'vitest';
import { FakeWorld, JOB_ID } from './fake-worker.ts';

vi.mock('../sha256.ts', () => import('./instant-sha256.ts'));

/** State-machine calls that act for the lease holder (the claim, the heir's calls and the end do not). */
const LEASE_CALLS = new Set([
  'record_export_shard',
  'heartbeat_export_lane',
  'announce_export_baton',
  'hand_off_export_lane',
  'finish_export_lane',
  'fail_export_lane',
  'acknowledge_export_cancel',
]);

describe('held lease', () => {
  it('tells the lease once, and every call for the lane carries it', async () => {
    const world = new FakeWorld({ latency: { upload: 4_000 } });
    world.beforeAnswer = (call) => {
      if (call.fn === 'record_export_shard' && call.laneSeq === 1) world.registerHeir();
    };
    await world.run();
    expect(world.leasesTold).toEqual([
      {
        p_job_id: JOB_ID,
        p_lane_no: 1,
        p_invocation_id: world.rpcCalls('end_export_invocation')[0]?.args?.p_invocation_id,
        p_generation: 1,
      },
    ]);
    const forTheLane = world.calls.filter((c) => c.port === 'rpc' && LEASE_CALLS.has(c.fn!));
    // Records, heartbeats (slow uploads), an announcement: each with the whole lease.
    expect(new Set(forTheLane.map((c) => c.fn))).toEqual(
      new Set(['record_export_shard', 'heartbeat_export_lane', 'announce_export_baton']),
    );
    for (const call of forTheLane) expect(call.args).toMatchObject(world.leasesTold[0]!);
  });

  it('heartbeats while a page is slow, so the 8 s lease outlives a 20 s upload', async () => {
    const world = new FakeWorld({ latency: { upload: 20_000 }, settings: { timeBudgetMs: 300_000 } });
    const ran = await world.run();
    expect(ran).toMatchObject({ kind: 'ended', result: { outcome: 'completed', shardsWritten: 5 } });
    const beats = world.events.filter((e) => e.fn === 'heartbeat_export_lane' && e.phase === 'start');
    // Once a third of the lease has passed since the last renewal (checked every sixth).
    expect(beats.length).toBeGreaterThan(20);
    for (let i = 1; i < beats.length; i += 1) expect(beats[i]!.t - beats[i - 1]!.t).toBeGreaterThanOrEqual(2_666);
  });

  it('without the heartbeat, the same slow upload loses the lease (the test above proves something)', async () => {
    const world = new FakeWorld({ latency: { upload: 20_000 }, settings: { timeBudgetMs: 300_000 } });
    world.beforeAnswer = (call) => {
      if (call.fn === 'heartbeat_export_lane') throw new Error('no heartbeat');
    };
    const ran = await world.run();
    expect(ran).toMatchObject({ kind: 'ended', result: { outcome: 'lease_lost', shardsWritten: 0 } });
    expect(world.logs.some((l) => l.includes('heartbeat failed'))).toBe(true);
    expect(world.storageKeys()).toEqual(world.manifestKeys());
  });

  it('sends no heartbeat while shards are recorded often, and none after the invocation ends', async () => {
    const world = new FakeWorld({ documents: undefined });
    await world.run();
    expect(world.rpcCalls('heartbeat_export_lane')).toHaveLength(0);
    const slow = new FakeWorld({ latency: { upload: 5_000 } });
    await slow.run();
    const beats = slow.rpcCalls('heartbeat_export_lane').length;
    expect(beats).toBeGreaterThan(0);
    // Another minute of virtual time: nothing ticks any more.
    await slow.clock.run(slow.clock.sleep(60_000), 120_000);
    expect(slow.rpcCalls('heartbeat_export_lane')).toHaveLength(beats);
  });

  it('removes what dead holders may have left (their shard in progress and re-runs), before the invocation ends', async () => {
    const world = new FakeWorld();
    world.seedShards(2);
    world.shards[0]!.status = 'rerun_requested';
    // Generations 2 and 3 died writing shards 3 and 4.
    world.generation = 3;
    world.deadGenerations = [2, 3];
    world.deadSeqs = [3, 4];
    const leftovers = [world.shardKey(3, 2), world.shardKey(1, 2), world.shardKey(4, 3), world.shardKey(1, 3)];
    for (const key of leftovers) world.storage.set(key, new Uint8Array([0]));
    const ran = await world.run();
    expect(ran).toMatchObject({ kind: 'ended', result: { outcome: 'completed' } });
    const firstRemoval = world.calls.find((c) => c.port === 'remove')!;
    expect(firstRemoval.args?.keys).toEqual(leftovers);
    for (const key of leftovers) expect(world.storage.has(key)).toBe(false);
    expect(world.storageKeys()).toEqual(world.manifestKeys());
  });

  it('ends the invocation with its reason, wall time since the lease, CPU since the request, and the error', async () => {
    const world = new FakeWorld({ meter: { timedWorkMs: 7, exchangeMs: 1 }, latency: { rpc: 50 } });
    world.documents.splice(4);
    world.beforeAnswer = (call) => {
      if (call.port === 'search' && world.searchFilters.length === 2) throw new Error('source down');
    };
    const ran = await world.run();
    expect(ran).toMatchObject({ kind: 'ended', result: { outcome: 'error', retrying: false } });
    const ended = world.rpcCalls('end_export_invocation')[0]!.args!;
    const claimedAt = world.events.find((e) => e.fn === 'claim_export_lane' && e.phase === 'end')!.t;
    const endedAt = world.events.find((e) => e.fn === 'end_export_invocation' && e.phase === 'start')!.t;
    expect(ended).toMatchObject({
      p_end_reason: 'error',
      p_wall_ms: endedAt - claimedAt,
      p_cpu_ms: world.meter.cpuMs - 1,
      p_error: 'internal: source down',
    });
  });
});
