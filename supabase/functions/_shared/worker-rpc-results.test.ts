import { describe, expect, it } from 'vitest';
import { claimedLaneSchema, parseRpcResult } from './worker-rpc-results.ts';

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
    const announced = { claimed: false, reason: 'announced', after_key: 1.5 };
    expect(() => parseRpcResult('poll_export_baton', announced)).toThrow(
      /^poll_export_baton answered an unexpected shape \(after_key: /,
    );
    expect(() => parseRpcResult('record_export_shard', { outcome: 'maybe' })).toThrow(
      /record_export_shard answered an unexpected shape \(outcome: /,
    );
  });

  it("reads each function's answer with that function's schema", () => {
    expect(
      parseRpcResult('poll_export_baton', { claimed: false, reason: 'announced', after_key: '9007199254740993' }),
    ).toEqual({ claimed: false, reason: 'announced', after_key: 9007199254740993n });
    expect(parseRpcResult('unreferenced_export_objects', ['a/b', 'a/c'])).toEqual(['a/b', 'a/c']);
    expect(() => parseRpcResult('unreferenced_export_objects', [1])).toThrow(
      /^unreferenced_export_objects answered an unexpected shape \(0: /,
    );
  });
});
