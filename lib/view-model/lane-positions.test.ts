import { describe, expect, it } from 'vitest';
import type { ExportShardFailure } from '@/lib/exports/types';
import { unwrittenLaneShards } from './lane-positions';

let nextId = 1;
const failure = (
  lane: number,
  laneSeq: number,
  outcome: ExportShardFailure['outcome'],
  runNo = 1,
): Pick<ExportShardFailure, 'id' | 'run_no' | 'lane' | 'lane_seq' | 'outcome'> => ({
  id: nextId++,
  run_no: runNo,
  lane,
  lane_seq: laneSeq,
  outcome,
});

describe('unwrittenLaneShards', () => {
  it('gives each lane the shard of its latest failure in this run, in lane order', () => {
    const failures = [
      failure(2, 5, 'retrying'),
      failure(1, 7, 'retrying'),
      failure(2, 5, 'failed'),
      failure(1, 7, 'failed'),
    ];
    expect(unwrittenLaneShards(1, [], failures)).toEqual([
      { lane: 1, laneSeq: 7, gaveUp: true },
      { lane: 2, laneSeq: 5, gaveUp: true },
    ]);
  });

  it('leaves out a lane that retried and then wrote the shard', () => {
    const failures = [failure(1, 3, 'retrying'), failure(2, 4, 'retrying')];
    const shards = [{ lane: 1, lane_seq: 3 }];
    expect(unwrittenLaneShards(1, shards, failures)).toEqual([{ lane: 2, laneSeq: 4, gaveUp: false }]);
  });

  it("reads only this run's failures: a re-run that has not failed has no unwritten shard", () => {
    const failures = [failure(1, 3, 'failed', 1)];
    expect(unwrittenLaneShards(2, [], failures)).toEqual([]);
    expect(unwrittenLaneShards(2, [], [...failures, failure(1, 3, 'retrying', 2)])).toEqual([
      { lane: 1, laneSeq: 3, gaveUp: false },
    ]);
  });
});
