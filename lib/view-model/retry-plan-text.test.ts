import { describe, expect, it } from 'vitest';
import { describePlan, describePlanBriefly, describeTail } from './retry-plan-text';

const plan = {
  shards: [
    { shardNo: 38, rows: 100, reason: 'object missing from storage' },
    { shardNo: 39, rows: 100, reason: 'object missing from storage' },
  ],
  rows: 200,
  tail: true,
  tailRowsEstimate: 27_700,
  tailLanes: [
    { lane: 2, fromLaneShard: 121, toLaneShard: 269, fromRecord: 12_001, toRecord: 26_900 },
    { lane: 3, fromLaneShard: 1, toLaneShard: 67, fromRecord: 1, toRecord: 6_700 },
    { lane: 4, fromLaneShard: 1, toLaneShard: 67, fromRecord: 1, toRecord: 6_700 },
  ],
};

describe('describePlan', () => {
  it('names the shards to re-run and, lane by lane, the shards and records of the unwritten rest', () => {
    expect(describePlan(plan)).toBe(
      'shards 38–39 (200 records) and the unwritten rest, by the estimate: shards 121–269 of lane 2 ' +
        '(records 12,001–26,900) and lanes 3 and 4 in full (13,400 records)',
    );
  });

  it('says nothing of a tail there is not', () => {
    expect(describePlan({ ...plan, tail: false, tailLanes: [] })).toBe('shards 38–39 (200 records)');
  });
});

describe('describeTail', () => {
  it('says where a lane resumes when it has written past its estimate', () => {
    expect(describeTail([{ lane: 1, fromLaneShard: 70, toLaneShard: 70, fromRecord: 6_901, toRecord: 6_901 }], 0)).toBe(
      'the unwritten rest, by the estimate: lane 1 from its shard 70 (record 6,901 on)',
    );
  });

  it('groups runs of untouched lanes', () => {
    const fresh = (lane: number) => ({ lane, fromLaneShard: 1, toLaneShard: 10, fromRecord: 1, toRecord: 1_000 });
    expect(describeTail([fresh(1), fresh(2), fresh(3), fresh(5)], 0)).toBe(
      'the unwritten rest, by the estimate: lanes 1–3 and 5 in full (4,000 records)',
    );
  });
});

describe('describePlanBriefly', () => {
  it('counts, for the confirm button', () => {
    expect(describePlanBriefly(plan)).toBe('2 shards and the unwritten rest');
    expect(describePlanBriefly({ shards: plan.shards.slice(0, 1), tail: false })).toBe('1 shard');
  });
});
