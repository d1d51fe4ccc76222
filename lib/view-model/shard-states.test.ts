import { describe, expect, it } from 'vitest';
import {
  cellOfPosition,
  deriveShardStates,
  expectedShards,
  shardsInStates,
  stateAt,
  type ShardMapJob,
} from './shard-states';

const job = (patch: Partial<ShardMapJob> = {}): ShardMapJob => ({
  status: 'running',
  shards_written: 0,
  estimated_rows: 1000,
  page_size: 250,
  tail_complete: false,
  cancel_requested_at: null,
  ...patch,
});
const written = (...nos: number[]) => nos.map((shard_no) => ({ shard_no, status: 'written' as const }));
const statesOf = (m: ReturnType<typeof deriveShardStates>) =>
  Array.from({ length: m.total }, (_, i) => stateAt(m, i + 1));

describe('expectedShards', () => {
  it('rounds up and survives a zero estimate', () => {
    expect(expectedShards({ estimated_rows: 1001, page_size: 250 })).toBe(5);
    expect(expectedShards({ estimated_rows: 0, page_size: 250 })).toBe(0);
  });

  it('adds up the lanes: each ends on its own part-filled shard, a finished one counts as written', () => {
    const lane = (status: 'running' | 'completed' | 'queued', shards: number, estimated: number) => ({
      lane: 1,
      status,
      shards,
      rows: 0,
      estimated,
      attempts: 0,
    });
    const lanes = [lane('completed', 68, 6_700), lane('running', 10, 6_700), lane('queued', 0, 6_700)];
    expect(expectedShards({ estimated_rows: 20_100, page_size: 100, lanes })).toBe(68 + 67 + 67);
  });
});

describe('deriveShardStates', () => {
  it('a queued job with no manifest is all pending', () => {
    const m = deriveShardStates({ job: job({ status: 'queued' }), shards: null });
    expect(statesOf(m)).toEqual(['pending', 'pending', 'pending', 'pending']);
  });

  it('marks the next tail shard of a running job as writing', () => {
    const m = deriveShardStates({ job: job({ shards_written: 2 }), shards: written(1, 2) });
    expect(statesOf(m)).toEqual(['done', 'done', 'running', 'pending']);
    expect(m.counts).toMatchObject({ done: 2, running: 1, pending: 1 });
  });

  it('shows one shard being written per running lane', () => {
    const lane = (n: number, status: 'running' | 'completed', shards: number, estimated: number) => ({
      lane: n,
      status,
      shards,
      rows: shards * 250,
      estimated,
      attempts: 0,
    });
    // Lane 3 wrote shard 1 and finished; lanes 1 and 2 expect 1 and 2 shards more.
    const lanes = [lane(1, 'running', 0, 250), lane(2, 'running', 0, 500), lane(3, 'completed', 1, 250)];
    const m = deriveShardStates({ job: job({ shards_written: 1, lanes }), shards: written(1) });
    expect(statesOf(m)).toEqual(['done', 'running', 'running', 'pending']);
  });

  it('trusts the live job row ahead of a trailing manifest', () => {
    const m = deriveShardStates({ job: job({ shards_written: 3 }), shards: written(1) });
    expect(statesOf(m)).toEqual(['done', 'done', 'done', 'running']);
  });

  it('grows past the estimate when more shards are written than expected', () => {
    const m = deriveShardStates({ job: job({ shards_written: 6 }), shards: written(1, 2, 3, 4, 5, 6) });
    expect(m.total).toBe(6);
    expect(m.counts.done).toBe(6);
  });

  it('a completed job has exactly its written shards, all done', () => {
    const m = deriveShardStates({
      job: job({ status: 'completed', tail_complete: true, shards_written: 3 }),
      shards: written(1, 2, 3),
    });
    expect(statesOf(m)).toEqual(['done', 'done', 'done']);
  });

  it('a failed job fails on the shard after the last written one, the rest are not written', () => {
    const m = deriveShardStates({ job: job({ status: 'failed', shards_written: 1 }), shards: written(1) });
    expect(statesOf(m)).toEqual(['done', 'failed', 'skipped', 'skipped']);
    expect(m.firstFailed).toBe(2);
  });

  it('a failed job whose estimate is used up still shows where it failed', () => {
    const m = deriveShardStates({ job: job({ status: 'failed', shards_written: 4 }), shards: written(1, 2, 3, 4) });
    expect(statesOf(m)).toEqual(['done', 'done', 'done', 'done', 'failed']);
  });

  it('marks where every lane gave up as failed, each cell holding its own lane shard', () => {
    // Four lanes wrote 68 shards, then each gave up on its 18th: four failed cells, not one and three "not written".
    const unwritten = [1, 2, 3, 4].map((lane) => ({ lane, laneSeq: 18, gaveUp: true }));
    const m = deriveShardStates({
      job: job({ status: 'failed', shards_written: 68, estimated_rows: 80 * 250 }),
      shards: written(...Array.from({ length: 68 }, (_, i) => i + 1)),
      unwritten,
    });
    expect(statesOf(m).slice(66)).toEqual([
      'done',
      'done',
      'failed',
      'failed',
      'failed',
      'failed',
      ...Array<string>(8).fill('skipped'),
    ]);
    expect(m.counts.failed).toBe(4);
    expect(m.firstFailed).toBe(69);
    expect([...m.positions]).toEqual([
      [69, { lane: 1, laneSeq: 18 }],
      [70, { lane: 2, laneSeq: 18 }],
      [71, { lane: 3, laneSeq: 18 }],
      [72, { lane: 4, laneSeq: 18 }],
    ]);
    expect(cellOfPosition(m, { lane: 3, laneSeq: 18 })).toBe(71);
    expect(cellOfPosition(m, { lane: 3, laneSeq: 19 })).toBeNull();
  });

  it('places a lane stopped while retrying after the give-ups, as not written', () => {
    const m = deriveShardStates({
      job: job({ status: 'failed', shards_written: 1 }),
      shards: written(1),
      unwritten: [
        { lane: 1, laneSeq: 2, gaveUp: false },
        { lane: 2, laneSeq: 1, gaveUp: true },
      ],
    });
    expect(statesOf(m)).toEqual(['done', 'failed', 'skipped', 'skipped']);
    expect([...m.positions]).toEqual([
      [2, { lane: 2, laneSeq: 1 }],
      [3, { lane: 1, laneSeq: 2 }],
    ]);
  });

  it('puts a retrying lane on the cell being written', () => {
    const m = deriveShardStates({
      job: job({ status: 'retrying', shards_written: 2 }),
      shards: written(1, 2),
      unwritten: [{ lane: 1, laneSeq: 3, gaveUp: false }],
    });
    expect(statesOf(m)).toEqual(['done', 'done', 'running', 'pending']);
    expect(m.positions.get(3)).toEqual({ lane: 1, laneSeq: 3 });
  });

  it('a cancelled job shows the unwritten rest as not written', () => {
    const m = deriveShardStates({ job: job({ status: 'cancelled', shards_written: 2 }), shards: written(1, 2) });
    expect(statesOf(m)).toEqual(['done', 'done', 'skipped', 'skipped']);
    expect(m.firstFailed).toBeNull();
  });

  it('re-runs are written before the tail, and the first one is being written', () => {
    const shards = [...written(1), { shard_no: 2, status: 'rerun_requested' as const }, ...written(3)];
    const m = deriveShardStates({ job: job({ shards_written: 2 }), shards });
    expect(statesOf(m)).toEqual(['done', 'running', 'done', 'pending']);
  });

  it('attributes row-ahead shards to queued re-runs first', () => {
    const shards = [
      { shard_no: 1, status: 'rerun_requested' as const },
      { shard_no: 2, status: 'rerun_requested' as const },
      ...written(3),
    ];
    const m = deriveShardStates({ job: job({ shards_written: 2 }), shards });
    expect(statesOf(m)).toEqual(['done', 'running', 'done', 'pending']);
  });

  it('a queued re-run on a finished job is failed (it needs a retry)', () => {
    const shards = [...written(1), { shard_no: 2, status: 'rerun_requested' as const }];
    const m = deriveShardStates({ job: job({ status: 'cancelled', shards_written: 1, tail_complete: true }), shards });
    expect(statesOf(m)).toEqual(['done', 'failed']);
  });

  it('shows shards storage verification found damaged as failed', () => {
    const m = deriveShardStates({
      job: job({ status: 'completed', tail_complete: true, shards_written: 3 }),
      shards: written(1, 2, 3),
      damaged: new Set([2]),
    });
    expect(statesOf(m)).toEqual(['done', 'failed', 'done']);
    expect(m.firstFailed).toBe(2);
  });

  it('stays fast and compact at 20,000 shards', () => {
    const shards = written(...Array.from({ length: 20_000 }, (_, i) => i + 1));
    const started = performance.now();
    const m = deriveShardStates({ job: job({ estimated_rows: 5_000_000, shards_written: 20_000 }), shards });
    expect(performance.now() - started).toBeLessThan(200);
    expect(m.states.byteLength).toBe(20_000);
  });
});

describe('shardsInStates', () => {
  it('lists the shards of the chosen states, or null for no filter', () => {
    const m = deriveShardStates({ job: job({ status: 'failed', shards_written: 1 }), shards: written(1) });
    expect(shardsInStates(m, new Set(['failed', 'done']))).toEqual([1, 2]);
    expect(shardsInStates(m, null)).toBeNull();
  });
});
