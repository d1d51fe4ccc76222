import { describe, expect, it } from 'vitest';
import { formatRunLengthSummary, shardRuns } from './run-length';
import { stateCode, type ShardState } from './shard-states';

function model(spec: Array<[ShardState, number]>) {
  const codes: number[] = [];
  for (const [state, n] of spec) for (let i = 0; i < n; i += 1) codes.push(stateCode(state));
  return { states: Uint8Array.from(codes), total: codes.length };
}

describe('run-length summary', () => {
  it('reads like the issue says', () => {
    const runs = shardRuns(
      model([
        ['done', 1200],
        ['failed', 50],
        ['pending', 2750],
      ]),
    );
    expect(formatRunLengthSummary(runs)).toBe('1–1,200 done · 1,201–1,250 failed · 1,251–4,000 pending');
  });

  it('names a single shard without a range', () => {
    const runs = shardRuns(
      model([
        ['done', 2],
        ['running', 1],
        ['pending', 1],
      ]),
    );
    expect(formatRunLengthSummary(runs)).toBe('1–2 done · 3 writing · 4 pending');
  });

  it('says so when there are no shards', () => {
    expect(formatRunLengthSummary(shardRuns(model([])))).toBe('No shards yet');
  });

  it('caps pathological maps', () => {
    const spec: Array<[ShardState, number]> = [];
    for (let i = 0; i < 50; i += 1) spec.push(['done', 1], ['failed', 1]);
    const text = formatRunLengthSummary(shardRuns(model(spec)), 4);
    expect(text).toBe('1 done · 2 failed · 3 done · 4 failed · and 96 more ranges');
  });
});
