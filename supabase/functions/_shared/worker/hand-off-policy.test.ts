import { describe, expect, it, vi } from 'vitest';
import { FakeWorld, JOB_ID } from './fake-worker.ts';
import { HandOffPolicy } from './hand-off-policy.ts';
import type { LeaseArgs } from './held-lease.ts';
import type { WorkerPorts, WorkerRequest } from './ports.ts';

vi.mock('../sha256.ts', () => import('./instant-sha256.ts'));

const INVOCATION = '00000000-0000-4000-8000-000000000100';
const args: LeaseArgs = { p_job_id: JOB_ID, p_lane_no: 1, p_invocation_id: INVOCATION, p_generation: 3 };

/** A policy on numbers the test sets: wall time since the lease, CPU since the request. */
function policyAt(options: { timeBudgetMs?: number; cpuBudgetMs?: number; bootMs?: number; rpcAnswer?: unknown } = {}) {
  const state = { elapsedMs: 0, cpuMs: 0 };
  const started: WorkerRequest[] = [];
  const rpc = vi.fn<WorkerPorts['rpc']>(() => Promise.resolve(options.rpcAnswer));
  const policy = new HandOffPolicy({
    ports: {
      rpc,
      startCopy: (request) => started.push(request),
      log: () => {},
      bootMs: options.bootMs ?? 300,
    },
    lease: { args, tag: 'test', elapsedMs: () => state.elapsedMs },
    budgets: { timeBudgetMs: options.timeBudgetMs ?? 1_000, cpuBudgetMs: options.cpuBudgetMs ?? 1_000_000 },
    cpuUsedMs: () => state.cpuMs,
  });
  /** A page recorded `wallMs` after its fetch started, having cost `cpuMs`. */
  const page = (wallMs: number, cpuMs = 0, heirWaiting = false) => {
    state.elapsedMs += wallMs;
    state.cpuMs += cpuMs;
    policy.pageRecorded(wallMs, heirWaiting);
  };
  return { policy, state, started, rpc, page };
}

describe('hand-off policy: budgets', () => {
  it('is spent when one more page at its median wall time would pass the time budget', () => {
    const { policy, state, page } = policyAt({ timeBudgetMs: 1_000 });
    for (let i = 0; i < 8; i += 1) page(100);
    state.elapsedMs = 899;
    expect(policy.budgetSpent()).toBe(false);
    state.elapsedMs = 900;
    expect(policy.budgetSpent()).toBe(true);
  });

  it('is spent when one more page at its median CPU would pass the CPU budget', () => {
    const { policy, state, page } = policyAt({ timeBudgetMs: 1_000_000, cpuBudgetMs: 200 });
    for (let i = 0; i < 3; i += 1) page(10, 40);
    state.cpuMs = 159;
    expect(policy.budgetSpent()).toBe(false);
    state.cpuMs = 160;
    expect(policy.budgetSpent()).toBe(true);
  });

  it('predicts the next page by the median, not by one slow page', () => {
    const { policy, state, page } = policyAt({ timeBudgetMs: 10_000 });
    page(100);
    page(5_000);
    page(100);
    state.elapsedMs = 9_899;
    expect(policy.budgetSpent()).toBe(false);
  });

  it('before any page, is spent only once the budget itself is', () => {
    const { policy, state } = policyAt({ timeBudgetMs: 1_000, cpuBudgetMs: 100 });
    state.elapsedMs = 999;
    state.cpuMs = 99;
    expect(policy.budgetSpent()).toBe(false);
    state.cpuMs = 100;
    expect(policy.budgetSpent()).toBe(true);
  });

  it('plans the last page: when an heir waits it carries the baton, when the budget is spent it just ends', () => {
    const { policy, state, page } = policyAt({ timeBudgetMs: 1_000 });
    page(100);
    expect(policy.planPage()).toEqual({ passBaton: false, last: false });
    state.elapsedMs = 950;
    expect(policy.planPage()).toEqual({ passBaton: false, last: true });
    state.elapsedMs = 200;
    page(100, 0, true);
    expect(policy.planPage()).toEqual({ passBaton: true, last: true });
    // The record after the pass says no heir waits any more.
    page(100, 0, false);
    expect(policy.planPage()).toEqual({ passBaton: false, last: false });
  });
});

describe('hand-off policy: the heir', () => {
  it('starts the heir once, when the time left is what it needs to boot and warm up (heir-timing.ts)', () => {
    // 1.5 × 300 ms boot + 5 × 100 ms pages = 950 ms: starts once 950 ms or less are left of 10 s.
    const { policy, state, started, page } = policyAt({ timeBudgetMs: 10_000, bootMs: 300 });
    policy.maybeStartHeir();
    expect(started).toEqual([]);
    page(100);
    state.elapsedMs = 9_049;
    policy.maybeStartHeir();
    expect(started).toEqual([]);
    state.elapsedMs = 9_050;
    policy.maybeStartHeir();
    policy.maybeStartHeir();
    expect(started).toEqual([{ jobId: JOB_ID, lane: 1, heirOf: INVOCATION }]);
  });

  it('never starts one before a page has shown what a page costs', () => {
    const { policy, state, started } = policyAt({ timeBudgetMs: 1_000 });
    state.elapsedMs = 999;
    policy.maybeStartHeir();
    expect(started).toEqual([]);
  });

  it('counts CPU at its rate so far: a CPU budget brings the heir forward', () => {
    // 0.1 ms of CPU a wall ms, 100 ms of CPU left ⇒ 1 s of wall time left: less than 1.5 × 300 + 5 × 200.
    const { policy, state, started, page } = policyAt({ timeBudgetMs: 60_000, cpuBudgetMs: 500 });
    page(200, 20);
    state.elapsedMs = 4_000;
    state.cpuMs = 400;
    policy.maybeStartHeir();
    expect(started).toHaveLength(1);
  });

  it('announces the baton with the key as digits; a lost announcement is only logged', async () => {
    const { policy, rpc } = policyAt();
    rpc.mockRejectedValueOnce(new Error('down'));
    policy.announceBaton(9_007_199_254_740_993n);
    await Promise.resolve();
    expect(rpc).toHaveBeenCalledWith('announce_export_baton', { ...args, p_after_key: '9007199254740993' });
  });
});

describe('hand-off policy: the one hand-off', () => {
  it('a record that passed the baton or yielded has handed off already: no further call', async () => {
    const { policy, rpc } = policyAt();
    expect(await policy.handOff({ by: 'passed' })).toEqual({ outcome: 'handoff', kick: [] });
    const kick = [{ job_id: JOB_ID, lane_no: 2 }];
    expect(await policy.handOff({ by: 'yielded', kick })).toEqual({ outcome: 'handoff', kick });
    expect(rpc).not.toHaveBeenCalled();
  });

  it('a spent budget releases the lane with the lease it holds, and starts whoever should run next', async () => {
    const kick = [
      { job_id: JOB_ID, lane_no: 1 },
      { job_id: JOB_ID, lane_no: 4 },
    ];
    const { policy, rpc } = policyAt({ rpcAnswer: { outcome: 'released', kick } });
    expect(await policy.handOff({ by: 'budget' })).toEqual({ outcome: 'handoff', kick });
    expect(rpc).toHaveBeenCalledExactlyOnceWith('hand_off_export_lane', args);
  });

  it('does not start a copy for its own lane when its heir is already on the way', async () => {
    const kick = [
      { job_id: JOB_ID, lane_no: 1 },
      { job_id: JOB_ID, lane_no: 4 },
    ];
    const { policy, state, page } = policyAt({ rpcAnswer: { outcome: 'released', kick }, timeBudgetMs: 1_000 });
    page(100);
    state.elapsedMs = 900;
    policy.maybeStartHeir();
    expect(await policy.handOff({ by: 'budget' })).toEqual({ outcome: 'handoff', kick: [kick[1]] });
  });

  it('a lease lost by the time it releases ends the invocation as lease_lost', async () => {
    const { policy } = policyAt({ rpcAnswer: { outcome: 'lease_lost' } });
    expect(await policy.handOff({ by: 'budget' })).toEqual({ outcome: 'lease_lost', kick: [] });
  });
});

describe('hand-off policy in a running lane', () => {
  it('hands off when the time budget would pass with one more page: exactly one release', async () => {
    // Each page ~30 ms (fetch 10 beside upload 20 and record 10): 100 ms hold about three.
    const world = new FakeWorld({ settings: { timeBudgetMs: 100 }, bootMs: 1 });
    const ran = await world.run();
    expect(ran).toMatchObject({ kind: 'ended', result: { outcome: 'handoff' } });
    expect(world.rpcCalls('hand_off_export_lane')).toHaveLength(1);
    expect(world.recordedSeqs.length).toBeGreaterThan(1);
    expect(world.recordedSeqs.length).toBeLessThan(5);
    // Released within a page (~40 ms) of the budget's end, counted from the lease.
    const leaseAt = world.events.find((e) => e.fn === 'claim_export_lane' && e.phase === 'end')!.t;
    const handOff = world.events.find((e) => e.fn === 'hand_off_export_lane' && e.phase === 'start')!;
    expect(handOff.t - leaseAt).toBeLessThanOrEqual(100 + 40);
    expect(world.storageKeys()).toEqual(world.manifestKeys());
  });

  it('hands off when the CPU estimate would pass the budget with one more page', async () => {
    // 30 ms of CPU a page (its encoding), a budget of 100: three pages.
    const world = new FakeWorld({
      settings: { timeBudgetMs: 60_000, cpuBudgetMs: 100 },
      meter: { timedWorkMs: 30, exchangeMs: 0 },
    });
    const ran = await world.run();
    expect(ran).toMatchObject({ kind: 'ended', result: { outcome: 'handoff', shardsWritten: 3 } });
    expect(world.meter.cpuMs).toBeLessThanOrEqual(100);
    expect(world.storageKeys()).toEqual(world.manifestKeys());
  });

  it("counts the request's untimed CPU once: with 40 ms of it, the same budget holds two pages", async () => {
    const world = new FakeWorld({
      settings: { timeBudgetMs: 60_000, cpuBudgetMs: 100 },
      meter: { timedWorkMs: 30, exchangeMs: 0, requestMs: 40 },
    });
    const ran = await world.run();
    expect(ran).toMatchObject({ kind: 'ended', result: { outcome: 'handoff', shardsWritten: 2 } });
    expect(world.meter.cpuMs + world.meter.perRequestMs).toBeLessThanOrEqual(100);
  });

  it('starts the heir once, then releases the lane without starting a second copy of it', async () => {
    const world = new FakeWorld({ settings: { timeBudgetMs: 150 }, bootMs: 20 });
    await world.run();
    expect(world.copiesStarted.filter((r) => r.heirOf)).toHaveLength(1);
    expect(world.copiesStarted.filter((r) => !r.heirOf)).toEqual([]);
  });

  it('passes the baton when an heir waits: the next page is the last, announced, and its record passes', async () => {
    const world = new FakeWorld();
    let heir: string | undefined;
    world.beforeAnswer = (call) => {
      if (call.fn === 'record_export_shard' && call.laneSeq === 1) heir = world.registerHeir();
    };
    const ran = await world.run();
    expect(ran).toMatchObject({ kind: 'ended', result: { outcome: 'handoff', shardsWritten: 3 } });
    // Record 1 said an heir waits; page 2 was read already, so page 3 (keys 90–120) is the last.
    expect(world.rpcCalls('announce_export_baton').map((c) => c.args?.p_after_key)).toEqual(['120']);
    expect(world.rpcCalls('record_export_shard').map((c) => c.args?.p_pass_to_heir)).toEqual([false, false, true]);
    expect(world.calls.filter((c) => c.port === 'search')).toHaveLength(3);
    expect(world.owner).toBe(heir);
    // The record passed it: no release.
    expect(world.rpcCalls('hand_off_export_lane')).toHaveLength(0);
    expect(world.storageKeys()).toEqual(world.manifestKeys());
  });

  it('goes through one hand-off for the budget (tail or re-runs), a passed baton and a yielded lane', async () => {
    const handOff = vi.spyOn(HandOffPolicy.prototype, 'handOff');
    const cases: Array<[string, FakeWorld, string]> = [];
    const tail = new FakeWorld({ settings: { timeBudgetMs: 100 } });
    cases.push(['budget', tail, 'handoff']);
    // The claim's exchange spends the whole CPU budget: hand off before the first re-run.
    const reruns = new FakeWorld({ settings: { cpuBudgetMs: 1 }, meter: { timedWorkMs: 0, exchangeMs: 1 } });
    reruns.seedShards(2);
    for (const shard of reruns.shards) shard.status = 'rerun_requested';
    cases.push(['budget', reruns, 'handoff']);
    const passed = new FakeWorld();
    passed.recordAnswer = (seq) => (seq === 2 ? 'passed' : undefined);
    cases.push(['passed', passed, 'handoff']);
    const yielded = new FakeWorld();
    yielded.recordAnswer = (seq) => (seq === 2 ? 'yielded' : undefined);
    cases.push(['yielded', yielded, 'handoff']);
    for (const [by, world, outcome] of cases) {
      handOff.mockClear();
      expect(await world.run()).toMatchObject({ kind: 'ended', result: { outcome } });
      expect(handOff).toHaveBeenCalledOnce();
      expect(handOff.mock.calls[0]![0]).toMatchObject({ by });
      expect(world.rpcCalls('hand_off_export_lane')).toHaveLength(by === 'budget' ? 1 : 0);
      expect(world.storageKeys()).toEqual(world.manifestKeys());
    }
    // A yielded lane starts the lanes the record named.
    expect(yielded.copiesStarted).toContainEqual({ jobId: JOB_ID, lane: 2 });
    handOff.mockRestore();
  });
});
