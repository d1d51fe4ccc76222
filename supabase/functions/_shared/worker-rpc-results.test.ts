import { describe, expect, it } from 'vitest';
import { claimedLaneSchema, parseRpcResult, recordOutcomeSchema } from './worker-rpc-results.ts';

describe('worker RPC results', () => {
  const lane = {
    lane_no: 1,
    key_after: null,
    key_upper: '9007199254740993',
    cursor_key: 12,
    next_seq: 1,
    tail_complete: false,
    dead_generations: [],
    dead_seqs: [],
  };

  it('reads keys as exact bigints, from numbers and from digit strings', () => {
    expect(claimedLaneSchema.parse(lane)).toMatchObject({
      key_after: null,
      key_upper: 9007199254740993n,
      cursor_key: 12n,
    });
  });

  it('refuses an answer of the wrong shape, naming the function and the field', () => {
    expect(() => parseRpcResult('claim_export_lane', claimedLaneSchema, { ...lane, cursor_key: 1.5 })).toThrow(
      /^claim_export_lane answered an unexpected shape \(cursor_key: /,
    );
    expect(() => parseRpcResult('record_export_shard', recordOutcomeSchema, { outcome: 'maybe' })).toThrow(
      /record_export_shard answered an unexpected shape \(outcome: /,
    );
  });
});
