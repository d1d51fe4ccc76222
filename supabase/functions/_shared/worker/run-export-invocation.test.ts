import { describe, expect, it, vi } from 'vitest';
import { ExportError } from '../export-error.ts';
import { FakeWorld, JOB_ID, type FaultKind } from './fake-worker.ts';

vi.mock('../sha256.ts', () => import('./instant-sha256.ts'));

describe('an invocation, end to end on fake ports', () => {
  it('finishes the lane: completed, and anything no manifest row names is removed from the lane folder', async () => {
    const world = new FakeWorld();
    // A write that landed after a takeover's clean-up: generation 7, never recorded.
    world.storage.set(world.shardKey(9, 7), new Uint8Array([0]));
    const ran = await world.run();
    expect(ran).toEqual({
      kind: 'ended',
      result: {
        outcome: 'completed',
        invocationId: world.leasesTold[0]!.p_invocation_id,
        lane: 1,
        shardsWritten: 5,
        rowsWritten: 20,
      },
    });
    expect(world.jobStatus).toBe('completed');
    expect(world.storageKeys()).toEqual(world.manifestKeys());
    expect(world.logs).toContain(`job ${JOB_ID}: completed, 20 rows (estimate 20)`);
    // The end comes last, once.
    expect(world.calls.at(-1)?.fn).toBe('end_export_invocation');
    expect(world.rpcCalls('end_export_invocation')).toHaveLength(1);
  });

  it('a cancel seen when finishing is acknowledged: cancelled, never completed', async () => {
    const world = new FakeWorld();
    world.beforeAnswer = (call) => {
      if (call.fn === 'finish_export_lane') world.cancelRequested = true;
    };
    const ran = await world.run();
    expect(ran).toMatchObject({ kind: 'ended', result: { outcome: 'cancelled', shardsWritten: 5 } });
    expect(world.rpcCalls('acknowledge_export_cancel')).toHaveLength(1);
    expect(world.jobStatus).toBe('cancelled');
    expect(world.invocations.get(world.leasesTold[0]!.p_invocation_id)?.endReason).toBe('cancelled');
  });

  it('a failure is recorded on the lane (retryable or not) and ends the invocation with the error', async () => {
    const world = new FakeWorld();
    world.beforeAnswer = (call) => {
      if (call.port === 'search' && world.searchFilters.length === 3) {
        throw new ExportError('source_unavailable', 'the source did not answer', true);
      }
    };
    const ran = await world.run();
    expect(ran).toMatchObject({
      kind: 'ended',
      result: { outcome: 'error', retrying: true, error: { kind: 'source_unavailable' } },
    });
    expect(world.rpcCalls('fail_export_lane')[0]?.args).toMatchObject({
      p_error_kind: 'source_unavailable',
      p_retryable: true,
    });
    expect(world.laneStatus).toBe('retrying');
  });

  it('a filter the source cannot take fails the lane for good before any page is read', async () => {
    const world = new FakeWorld({ filter: 'title:=(a || b' });
    const ran = await world.run();
    expect(ran).toMatchObject({
      kind: 'ended',
      result: { outcome: 'error', retrying: false, error: { kind: 'bad_filter' } },
    });
    expect(world.calls.filter((c) => c.port === 'search')).toHaveLength(0);
  });

  it('a lost lease when finishing ends the invocation as lease_lost, with no failure recorded', async () => {
    const world = new FakeWorld();
    world.beforeAnswer = (call) => {
      if (call.fn === 'finish_export_lane') world.generation += 1;
    };
    const ran = await world.run();
    expect(ran).toMatchObject({ kind: 'ended', result: { outcome: 'lease_lost' } });
    expect(world.rpcCalls('fail_export_lane')).toHaveLength(0);
  });

  it.each([
    ['finished', 'completed', 'declined'],
    ['cancelled', 'cancelled', 'cancelled'],
  ] as const)(
    'a declined claim of an ended job (%s) runs its storage clean-up when due',
    async (_reason, status, outcome) => {
      const world = new FakeWorld();
      world.seedShards(2);
      world.jobStatus = status;
      world.cleanupDue = true;
      const stray = world.shardKey(3, 4);
      world.storage.set(stray, new Uint8Array([0]));
      const ran = await world.run();
      expect(ran).toMatchObject({ kind: 'ended', result: { outcome, lane: 1, shardsWritten: 0 } });
      expect(world.rpcCalls('begin_export_cleanup')).toHaveLength(1);
      expect(world.rpcCalls('unreferenced_export_objects')).toHaveLength(1);
      expect(world.storageKeys()).toEqual(world.manifestKeys());
      expect(world.leasesTold).toEqual([]);
    },
  );

  it('a claim declined for a live job starts the lanes it names and cleans nothing', async () => {
    const world = new FakeWorld();
    world.holdBy('00000000-0000-4000-8000-00000000beef');
    const ran = await world.run();
    expect(ran).toMatchObject({ kind: 'ended', result: { outcome: 'declined' } });
    expect(world.logs).toContain(`job ${JOB_ID} lane 1: not claimed (leased)`);
    expect(world.rpcCalls('begin_export_cleanup')).toHaveLength(0);
  });
});

describe('an invocation killed at any step', () => {
  /** The runs every kill is tried on: a re-run and the tail to the lane's end; a baton passed to an heir. */
  const scenarios: Record<string, () => FakeWorld> = {
    'a re-run, the tail, the finish': () => {
      const world = new FakeWorld({ latency: { record: 15, upload: 10, search: 5 } });
      world.seedShards(2);
      world.shards[1]!.status = 'rerun_requested';
      return world;
    },
    'a baton announced and passed': () => {
      const world = new FakeWorld({ latency: { record: 15, upload: 10, search: 5 } });
      world.beforeAnswer = (call) => {
        if (call.fn === 'record_export_shard' && call.laneSeq === 1) world.registerHeir();
      };
      return world;
    },
  };

  it.each(Object.keys(scenarios))('%s: the run the kills are tried on', async (name) => {
    const world = scenarios[name]!();
    const ran = await world.run();
    expect(ran).toMatchObject({ kind: 'ended', result: { outcome: name.includes('baton') ? 'handoff' : 'completed' } });
    expect(world.rpcCalls(name.includes('baton') ? 'announce_export_baton' : 'finish_export_lane')).toHaveLength(1);
    expect(world.calls.length).toBeGreaterThan(12);
  });

  it.each(
    Object.keys(scenarios).flatMap((name) =>
      (['throws', 'hangs', 'answer_lost'] satisfies FaultKind[]).map((kind) => [name, kind] as const),
    ),
  )(
    '%s, a port that %s at each step in turn: no recorded shard without its object, no record of a failed upload',
    async (name, kind) => {
      const calls = await (async () => {
        const clean = scenarios[name]!();
        await clean.run();
        return clean.calls.length;
      })();
      for (let index = 0; index < calls; index += 1) {
        const world = scenarios[name]!();
        const namedBefore = world.manifestKeys();
        world.fault = { index, kind };
        const ran = await world.run({}, 120_000);
        const where = `${kind} at call ${index} (${world.calls[index]?.fn ?? world.calls[index]?.port}): ${ran.kind}`;
        // Every object the manifest names is in storage.
        for (const key of world.manifestKeys()) expect(world.storage.has(key), where).toBe(true);
        // Every record follows a successful upload of the object it names.
        for (const record of world.rpcCalls('record_export_shard')) {
          const recordStart = world.events.findIndex((e) => e.index === record.index && e.phase === 'start');
          const uploaded = world.events
            .slice(0, recordStart)
            .some((e) => e.port === 'upload' && e.phase === 'end' && e.args?.key === record.args?.p_storage_key);
          expect(uploaded, where).toBe(true);
        }
        // Whatever ended the invocation, storage holds nothing the manifest does not name, but for what the
        // lane's end or the job's clean-up removes later: a replaced shard's old object, and the object of
        // a record whose call failed (committed or not, nobody knows) — unless the fault kept a removal
        // from happening or lost an upload's answer after it landed.
        if (ran.kind === 'ended' && kind !== 'answer_lost' && world.calls[index]?.port !== 'remove') {
          const failedRecords = world.events
            .filter((e) => e.fn === 'record_export_shard' && e.phase === 'fail')
            .map((e) => e.args?.p_storage_key);
          const unnamed = world
            .storageKeys()
            .filter((key) => !world.manifestKeys().includes(key) && !namedBefore.includes(key));
          expect(
            unnamed.filter((key) => !failedRecords.includes(key)),
            where,
          ).toEqual([]);
        }
      }
    },
  );
});
