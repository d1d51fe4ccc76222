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
    const history = shardHistory(2, 'done', manifest);
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
    const history = shardHistory(1, 'done', {
      shards: [shard(1, 1, 1, { attempt: 2 })],
      attempts: [replaced],
      failures: [],
    });
    expect(history.map((h) => [h.outcome, h.attempt, h.replacedBecause])).toEqual([
      ['replaced', 1, 'checksum mismatch'],
      ['written', 2, null],
    ]);
  });

  it('gives a failed shard that was never written the failures no manifest row claims (five, not "none")', () => {
    const manifest = {
      shards: [shard(1, 1, 1)],
      attempts: [],
      failures: [1, 2, 3, 4, 5].map((n) => failure(1, 2, n)),
    };
    const history = shardHistory(2, 'failed', manifest);
    expect(history).toHaveLength(5);
    expect(history.at(-1)).toMatchObject({ outcome: 'failed', attempt: 5, nextRetryAt: null });
    // A pending shard further on has no history yet.
    expect(shardHistory(3, 'pending', manifest)).toEqual([]);
  });
});
