import { describe, expect, it } from 'vitest';
import type { ExportShard, ExportShardAttempt, ExportShardFailure } from '@/lib/exports/types';
import { shardHistory } from './shard-history';

const shard = (no: number, lane: number, seq: number, over: Partial<ExportShard> = {}): ExportShard => ({
  job_id: 'j',
  shard_no: no,
  lane,
  lane_seq: seq,
  key_after: null,
  key_last: no * 10,
  rows: 250,
  bytes: 1000,
  header_bytes: 30,
  sha256: `sha-${no}`,
  storage_key: `k/${no}`,
  generation: 1,
  attempt: 1,
  invocation_id: `inv-w${no}`,
  encoding: 'gzip',
  gzip_bytes: 400,
  gzip_header_bytes: 20,
  gzip_sha256: `gz-${no}`,
  status: 'written',
  problem: null,
  problem_kind: null,
  problem_source: null,
  problem_at: null,
  written_at: '2026-12-01T10:00:10Z',
  duration_ms: 5,
  ...over,
});

const failure = (lane: number, seq: number, attempt: number, over: Partial<ExportShardFailure> = {}) =>
  ({
    id: attempt,
    job_id: 'j',
    run_no: 1,
    lane,
    lane_seq: seq,
    invocation_id: `inv-f${attempt}`,
    attempt,
    max_attempts: 5,
    error_kind: 'storage_failed',
    error: `upload failed ${attempt}`,
    outcome: attempt < 5 ? 'retrying' : 'failed',
    next_retry_at: attempt < 5 ? `2026-12-01T10:00:0${attempt + 1}Z` : null,
    failed_at: `2026-12-01T10:00:0${attempt}Z`,
    ...over,
  }) satisfies ExportShardFailure;

describe('shardHistory', () => {
  it('shows every failed attempt before the write that finally succeeded, oldest first', () => {
    const manifest = {
      shards: [shard(1, 1, 1), shard(2, 2, 1)],
      attempts: [],
      failures: [failure(2, 1, 1), failure(2, 1, 2), failure(1, 2, 1)],
    };
    const history = shardHistory(2, null, manifest);
    expect(history.map((h) => [h.outcome, h.attempt, h.invocationId, h.lane])).toEqual([
      ['retrying', 1, 'inv-f1', 2],
      ['retrying', 2, 'inv-f2', 2],
      ['written', 1, 'inv-w2', 2],
    ]);
    expect(history[0]).toMatchObject({ error: 'upload failed 1', nextRetryAt: '2026-12-01T10:00:02Z', maxAttempts: 5 });
  });

  it('keeps replaced writes with why they were replaced', () => {
    const replaced: ExportShardAttempt = {
      job_id: 'j',
      shard_no: 1,
      attempt: 1,
      rows: 250,
      bytes: 999,
      sha256: 'old',
      storage_key: 'k/1.g1',
      invocation_id: 'inv-old',
      written_at: '2026-12-01T09:00:00Z',
      replaced_at: '2026-12-01T10:00:00Z',
      replaced_because: 'checksum mismatch',
    };
    const history = shardHistory(1, null, {
      shards: [shard(1, 1, 1, { attempt: 2 })],
      attempts: [replaced],
      failures: [],
    });
    expect(history.map((h) => [h.outcome, h.attempt, h.replacedBecause])).toEqual([
      ['replaced', 1, 'checksum mismatch'],
      ['written', 2, null],
    ]);
  });

  it('gives a cell the manifest does not list the failures of the lane shard the map placed there', () => {
    const manifest = {
      shards: [shard(1, 1, 1)],
      attempts: [],
      failures: [1, 2, 3, 4, 5].map((n) => failure(1, 2, n)),
    };
    const history = shardHistory(2, { lane: 1, laneSeq: 2 }, manifest);
    expect(history).toHaveLength(5);
    expect(history.at(-1)).toMatchObject({ outcome: 'failed', attempt: 5, nextRetryAt: null });
    // A pending shard further on has no history yet.
    expect(shardHistory(3, null, manifest)).toEqual([]);
  });

  it("shows four lanes' give-ups apart: each cell lists only its own lane's tries", () => {
    // Lanes 1-4 each wrote their first shard (shards 1-4) and gave up on their second: lane 1 after five
    // tries, the others after four — 17 failures in all.
    const tries = { 1: 5, 2: 4, 3: 4, 4: 4 };
    const manifest = {
      shards: [1, 2, 3, 4].map((lane) => shard(lane, lane, 1)),
      attempts: [],
      failures: Object.entries(tries).flatMap(([lane, n]) =>
        Array.from({ length: n }, (_, i) =>
          failure(Number(lane), 2, i + 1, { outcome: i + 1 === n ? 'failed' : 'retrying' }),
        ),
      ),
    };
    for (const lane of [1, 2, 3, 4] as const) {
      const history = shardHistory(4 + lane, { lane, laneSeq: 2 }, manifest);
      expect(history.map((h) => h.lane)).toEqual(Array<number>(tries[lane]).fill(lane));
      expect(history.at(-1)).toMatchObject({ outcome: 'failed', attempt: tries[lane] });
    }
  });

  it('keeps the failures of an earlier run with the shard its re-run wrote, each with its run', () => {
    const runOne = [1, 2, 3].map((n) => failure(2, 4, n, { outcome: n === 3 ? 'failed' : 'retrying' }));
    const manifest = {
      shards: [shard(9, 2, 4, { written_at: '2026-12-01T11:00:00Z' })],
      attempts: [],
      failures: [...runOne, failure(2, 4, 1, { run_no: 2, failed_at: '2026-12-01T10:59:00Z' })],
    };
    const history = shardHistory(9, null, manifest);
    expect(history.map((h) => [h.run, h.outcome, h.attempt])).toEqual([
      [1, 'retrying', 1],
      [1, 'retrying', 2],
      [1, 'failed', 3],
      [2, 'retrying', 1],
      [null, 'written', 1],
    ]);
  });
});
