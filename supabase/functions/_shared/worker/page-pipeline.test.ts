import { describe, expect, it, vi } from 'vitest';
import { FakeWorld, laneSeqOf, type PortEvent } from './fake-worker.ts';

vi.mock('../sha256.ts', () => import('./instant-sha256.ts'));

/** Where in the run an event happened (events are in the order they happened). */
function position(world: FakeWorld, match: (e: PortEvent) => boolean): number {
  return world.events.findIndex(match);
}
const recordOf = (laneSeq: number, phase: PortEvent['phase']) => (e: PortEvent) =>
  e.port === 'rpc' && e.fn === 'record_export_shard' && e.laneSeq === laneSeq && e.phase === phase;
const uploadOf = (laneSeq: number, phase: PortEvent['phase']) => (e: PortEvent) =>
  e.port === 'upload' && e.laneSeq === laneSeq && e.phase === phase;
/** The tail's searches, in order: the n-th reads page n. */
const searches = (world: FakeWorld, phase: PortEvent['phase']) =>
  world.events.filter((e) => e.port === 'search' && e.phase === phase);
/** The objects the worker removed, by lane_seq. */
const removedSeqs = (world: FakeWorld) =>
  world.events
    .filter((e) => e.port === 'remove' && e.phase === 'start')
    .flatMap((e) => (e.args?.keys as string[]).map(laneSeqOf));

describe('page pipeline: order', () => {
  // Slow records (each outlasts the next upload) and slow uploads (each outlasts the record before).
  it.each([
    ['records slower than uploads', { record: 45, upload: 10, search: 5 }],
    ['uploads slower than records', { record: 5, upload: 45, search: 5 }],
    ['fetches slowest', { record: 5, upload: 10, search: 60 }],
  ])('records strictly in lane order, each after its own upload (%s)', async (_name, latency) => {
    const world = new FakeWorld({ latency });
    const ran = await world.run();
    expect(ran).toMatchObject({ kind: 'ended', result: { outcome: 'completed', shardsWritten: 5 } });
    expect(world.recordedSeqs).toEqual([1, 2, 3, 4, 5]);
    for (let seq = 1; seq <= 5; seq += 1) {
      // Its own upload is over before its record starts …
      expect(position(world, uploadOf(seq, 'end'))).toBeLessThan(position(world, recordOf(seq, 'start')));
      // … and the record before it has been answered.
      if (seq > 1)
        expect(position(world, recordOf(seq - 1, 'end'))).toBeLessThan(position(world, recordOf(seq, 'start')));
    }
    expect(world.storageKeys()).toEqual(world.manifestKeys());
  });

  it('fetches page n+1 while page n uploads, and records page n−1 beside it', async () => {
    const world = new FakeWorld({ latency: { record: 30, upload: 30, search: 30 } });
    await world.run();
    const started = searches(world, 'start');
    for (let n = 2; n <= 4; n += 1) {
      // The fetch of page n+1 starts before page n's upload …
      expect(world.events.indexOf(started[n]!)).toBeLessThan(position(world, uploadOf(n, 'start')));
      // … and page n−1's record runs while page n uploads.
      expect(position(world, recordOf(n - 1, 'start'))).toBeLessThan(position(world, uploadOf(n, 'end')));
      expect(position(world, uploadOf(n, 'start'))).toBeLessThan(position(world, recordOf(n - 1, 'end')));
    }
    // So five pages and the empty sixth cost about one stage each, not the sum of three.
    expect(world.clock.now()).toBeLessThan(5 * 90);
  });

  it('holds at most two pages of documents: page n+1 is fetched only once page n−1 is uploaded', async () => {
    // Fast fetches would run ahead if the pipeline let them.
    const world = new FakeWorld({ latency: { search: 1, upload: 40, record: 40 } });
    await world.run();
    const started = searches(world, 'start');
    expect(started).toHaveLength(6);
    for (let page = 3; page <= 6; page += 1) {
      expect(position(world, uploadOf(page - 2, 'end'))).toBeLessThan(world.events.indexOf(started[page - 1]!));
    }
  });
});

describe('page pipeline: a stop a record brings is seen one upload later', () => {
  it.each([
    ['cancel_requested', { outcome: 'cancelled' }, false],
    ['lease_lost', { outcome: 'lease_lost' }, false],
    ['stopped', { outcome: 'stopped' }, false],
    ['source_changed', { outcome: 'error', error: { kind: 'source_changed' } }, false],
    ['passed', { outcome: 'handoff' }, true],
    ['yielded', { outcome: 'handoff' }, true],
  ] as const)('%s at shard 3: upload 4 is removed, nothing recorded after', async (answer, result, records) => {
    const world = new FakeWorld({ latency: { record: 30, upload: 10, search: 5 } });
    world.recordAnswer = (seq) => (seq === 3 ? answer : undefined);
    const ran = await world.run();
    expect(ran).toMatchObject({ kind: 'ended', result });
    expect(world.recordedSeqs).toEqual(records ? [1, 2, 3] : [1, 2]);
    // Page 4 was uploaded beside record 3; the answer came after, and its object was removed.
    expect(position(world, uploadOf(4, 'end'))).toBeGreaterThan(position(world, recordOf(3, 'start')));
    expect(removedSeqs(world)).toContain(4);
    expect(world.rpcCalls('record_export_shard').map((c) => c.laneSeq)).toEqual([1, 2, 3]);
    expect(world.eventsOf('upload').some((e) => e.laneSeq === 5)).toBe(false);
    // Storage holds exactly what the manifest names.
    expect(world.storageKeys()).toEqual(world.manifestKeys());
  });

  it('a cancel committed while page 3 uploads: that page is never recorded, the cancel is acknowledged', async () => {
    const world = new FakeWorld();
    world.beforeAnswer = (call) => {
      if (call.port === 'upload' && call.laneSeq === 3) world.cancelRequested = true;
    };
    const ran = await world.run();
    expect(ran).toMatchObject({ kind: 'ended', result: { outcome: 'cancelled', shardsWritten: 2 } });
    expect(world.recordedSeqs).toEqual([1, 2]);
    expect(world.rpcCalls('acknowledge_export_cancel')).toHaveLength(1);
    expect(world.jobStatus).toBe('cancelled');
    expect(world.storageKeys()).toEqual(world.manifestKeys());
  });

  it("a page's failure waits for the record in flight: its stop outranks the failure", async () => {
    const world = new FakeWorld();
    world.recordAnswer = (seq) => (seq === 2 ? 'cancel_requested' : undefined);
    // Upload 3 runs while record 2 is in flight.
    world.beforeAnswer = (call) => {
      if (call.port === 'upload' && call.laneSeq === 3) throw new Error('storage down');
    };
    const ran = await world.run();
    expect(ran).toMatchObject({ kind: 'ended', result: { outcome: 'cancelled' } });
    expect(world.rpcCalls('fail_export_lane')).toHaveLength(0);
    expect(world.storageKeys()).toEqual(world.manifestKeys());
  });

  it('a failed upload is never recorded; the lane fails, retryable, after the record in flight', async () => {
    const world = new FakeWorld();
    world.beforeAnswer = (call) => {
      if (call.port === 'upload' && call.laneSeq === 3) throw new Error('storage down');
    };
    const ran = await world.run();
    expect(ran).toMatchObject({ kind: 'ended', result: { outcome: 'error', shardsWritten: 2 } });
    expect(world.recordedSeqs).toEqual([1, 2]);
    expect(world.rpcCalls('record_export_shard').map((c) => c.laneSeq)).toEqual([1, 2]);
    expect(world.rpcCalls('fail_export_lane')).toHaveLength(1);
  });
});

describe('page pipeline: re-runs of damaged shards', () => {
  it('re-runs first, each reproducing its shard, then the tail; old objects are removed at the end', async () => {
    const world = new FakeWorld();
    world.seedShards(3);
    for (const seq of [1, 3]) world.shards[seq - 1]!.status = 'rerun_requested';
    const ran = await world.run();
    expect(ran).toMatchObject({ kind: 'ended', result: { outcome: 'completed', shardsWritten: 4 } });
    // The re-runs in lane order, before the tail.
    expect(world.rpcCalls('record_export_shard').map((c) => [c.laneSeq, c.args?.p_shard_no])).toEqual([
      [1, 1],
      [3, 3],
      [4, null],
      [5, null],
    ]);
    // Each re-run read exactly its shard's key range.
    expect(world.calls.filter((c) => c.port === 'search').length).toBe(2 + 3);
    expect(world.shards.filter((s) => s.status === 'written')).toHaveLength(5);
    // The replaced objects (generation 1) are gone; storage holds what the manifest names.
    expect(world.storageKeys()).toEqual(world.manifestKeys());
  });

  it.each([
    ['a record changed', (w: FakeWorld) => (w.documents[5]!.title = 'Edited')],
    ['a record deleted', (w: FakeWorld) => w.documents.splice(5, 1)],
    ['a record added', (w: FakeWorld) => w.documents.splice(5, 0, { hs_object_id: 55, title: 'New' })],
  ])('fails for good when the source changed under a re-run (%s), writing nothing', async (_name, change) => {
    const world = new FakeWorld();
    world.seedShards(3);
    world.shards[1]!.status = 'rerun_requested';
    world.tailComplete = true;
    change(world);
    const before = world.storageKeys();
    const ran = await world.run();
    expect(ran).toMatchObject({
      kind: 'ended',
      result: { outcome: 'error', retrying: false, error: { kind: 'source_changed' } },
    });
    expect(world.eventsOf('upload')).toHaveLength(0);
    expect(world.rpcCalls('fail_export_lane')[0]?.args).toMatchObject({ p_retryable: false });
    expect(world.storageKeys()).toEqual(before);
  });
});
