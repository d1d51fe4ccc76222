import { describe, expect, it } from 'vitest';
import type { ExportLaneProgress, ExportShard, ExportShardFailure } from '@/lib/exports/types';
import { failureFocus } from './failure-focus';
import { laneBands } from './lane-bands-model';
import { unwrittenLaneShards } from './lane-positions';
import { plainError } from './plain-error';
import { shardHistory } from './shard-history';
import { deriveShardStates, stateAt, type ShardMapJob } from './shard-states';
import { triesAt } from './shard-tries';

const shard = (no: number, lane: number, laneSeq: number, writtenAt = '2026-12-01T10:00:00Z'): ExportShard => ({
  job_id: 'j',
  shard_no: no,
  lane,
  lane_seq: laneSeq,
  key_after: null,
  key_last: no * 10,
  rows: 250,
  bytes: 1000,
  header_bytes: 0,
  sha256: `sha-${no}`,
  storage_key: `k/${no}`,
  generation: 1,
  attempt: 1,
  invocation_id: `inv-w${no}`,
  encoding: 'gzip',
  gzip_bytes: 400,
  gzip_header_bytes: 0,
  gzip_sha256: `gz-${no}`,
  status: 'written',
  problem: null,
  problem_kind: null,
  problem_source: null,
  problem_at: null,
  written_at: writtenAt,
  duration_ms: 5,
});

/** A lane's failed tries at one shard, `seconds` after 10:00 each; the last one gives up when `gaveUp`. */
function tries(lane: number, laneSeq: number, seconds: number[], opts: { run?: number; gaveUp?: boolean } = {}) {
  return seconds.map((s, i): ExportShardFailure => ({
    id: 0,
    job_id: 'j',
    run_no: opts.run ?? 1,
    lane,
    lane_seq: laneSeq,
    invocation_id: `inv-${lane}-${i + 1}`,
    attempt: i + 1,
    max_attempts: 5,
    error_kind: 'source_rejected',
    error: `Lane ${lane}, shard ${laneSeq} of the lane: HTTP 400`,
    outcome: opts.gaveUp && i === seconds.length - 1 ? 'failed' : 'retrying',
    next_retry_at: null,
    failed_at: new Date(Date.UTC(2026, 11, 1, 10, 0, s)).toISOString(),
  }));
}
/** Failures as the database numbers them: in the order they happened. */
const inOrder = (...lists: ExportShardFailure[][]) =>
  lists
    .flat()
    .sort((a, b) => a.failed_at.localeCompare(b.failed_at))
    .map((f, i) => ({ ...f, id: i + 1 }));

const lane = (no: number, status: ExportLaneProgress['status'], attempts: number): ExportLaneProgress => ({
  lane: no,
  status,
  shards: 17,
  rows: 4_250,
  estimated: 5_000,
  attempts,
});

const mapJob = (patch: Partial<ShardMapJob>): ShardMapJob => ({
  status: 'failed',
  shards_written: 0,
  estimated_rows: 80 * 250,
  page_size: 250,
  tail_complete: false,
  cancel_requested_at: null,
  ...patch,
});

/** Everything each view shows about a failure, worked out as the export page does. */
function views(
  job: ShardMapJob & { run_no: number; lane_count: number; lanes: ExportLaneProgress[] },
  manifest: { shards: ExportShard[]; failures: ExportShardFailure[] },
) {
  const unwritten = unwrittenLaneShards(job.run_no, manifest.shards, manifest.failures);
  const model = deriveShardStates({ job, shards: manifest.shards, unwritten });
  const focus = failureFocus(job, manifest, model);
  const error = { last_error: 'x', last_error_kind: 'source_rejected' };
  const panel = (no: number) => {
    const position = model.positions.get(no) ?? null;
    return {
      history: shardHistory(no, position, { ...manifest, attempts: [] }),
      headline: plainError(error, no, triesAt(manifest.failures, job.run_no, position))?.headline,
    };
  };
  return {
    model,
    focus,
    banner: focus ? plainError(error, focus.shardNo, focus.tries, focus.position.lane)?.headline : undefined,
    laneBar: laneBands(job.lanes).map((b) => b.label),
    panel,
  };
}

describe('failureFocus and the views of one failure', () => {
  it('four lanes giving up at once: four failed cells, each with its own tries, one count everywhere', () => {
    // 68 shards written (17 a lane); then each lane gave up on its 18th shard: lane 1 after 5 tries at
    // 10:00:51, lanes 2-4 after 4. Lane 2 gave up first (10:00:42), so the job carries its error.
    const failures = inOrder(
      tries(1, 18, [11, 21, 31, 41, 51], { gaveUp: true }),
      tries(2, 18, [12, 22, 32, 42], { gaveUp: true }),
      tries(3, 18, [13, 23, 33, 43], { gaveUp: true }),
      tries(4, 18, [14, 24, 34, 44], { gaveUp: true }),
    );
    const shards = Array.from({ length: 68 }, (_, i) => shard(i + 1, (i % 4) + 1, Math.floor(i / 4) + 1));
    const job = {
      ...mapJob({ shards_written: 68 }),
      run_no: 1,
      lane_count: 4,
      lanes: [lane(1, 'failed', 5), lane(2, 'failed', 4), lane(3, 'failed', 4), lane(4, 'failed', 4)],
    };
    const v = views(job, { shards, failures });

    expect([69, 70, 71, 72].map((no) => stateAt(v.model, no))).toEqual(['failed', 'failed', 'failed', 'failed']);
    for (const [no, laneNo, count] of [
      [69, 1, 5],
      [70, 2, 4],
      [71, 3, 4],
      [72, 4, 4],
    ] as const) {
      const { history, headline } = v.panel(no);
      expect(history.map((h) => h.lane)).toEqual(Array<number>(count).fill(laneNo));
      expect(headline).toMatch(new RegExp(`— tried ${count} times over`));
      expect(v.laneBar[laneNo - 1]).toMatch(new RegExp(`failed, tried ${count} times$`));
    }

    expect(v.focus).toMatchObject({ position: { lane: 2, laneSeq: 18 }, shardNo: 70 });
    expect(v.banner).toBe(
      "Couldn't read the records of shard 70: the search index refused the query — tried 4 times over 30 s",
    );
    expect(v.panel(70).headline).toBe(v.banner);
  });

  it('a lane that retried and then wrote the shard: its failures stay with the written shard, no count is left', () => {
    const failures = inOrder(tries(1, 3, [5, 7]));
    const shards = [shard(1, 1, 1), shard(2, 1, 2), shard(3, 1, 3, '2026-12-01T10:00:09Z')];
    const job = {
      ...mapJob({ status: 'running', shards_written: 3, estimated_rows: 5 * 250 }),
      run_no: 1,
      lane_count: 1,
      lanes: [lane(1, 'running', 0)],
    };
    const v = views(job, { shards, failures });

    expect(v.model.positions.size).toBe(0);
    expect(v.panel(3).history.map((h) => h.outcome)).toEqual(['retrying', 'retrying', 'written']);
    expect(v.panel(4).history).toEqual([]);
    expect(v.laneBar[0]).not.toMatch(/tried/);
  });

  it("a re-run counts this run's tries at the shard; its history keeps the earlier run's", () => {
    // Run 1: lane 2 gave up on its 4th shard after 3 tries. Run 2 fails there twice and is retrying.
    const failures = inOrder(tries(2, 4, [1, 3, 7], { gaveUp: true }), tries(2, 4, [30, 32], { run: 2 }));
    const shards = [1, 2, 3].flatMap((seq) => [shard(seq * 2 - 1, 1, seq), shard(seq * 2, 2, seq)]);
    const job = {
      ...mapJob({ status: 'retrying', shards_written: 6, estimated_rows: 8 * 250 }),
      run_no: 2,
      lane_count: 2,
      lanes: [lane(1, 'completed', 0), lane(2, 'retrying', 2)],
    };
    const v = views(job, { shards, failures });

    expect(stateAt(v.model, 7)).toBe('running');
    expect(v.model.positions.get(7)).toEqual({ lane: 2, laneSeq: 4 });
    expect(v.panel(7).history.map((h) => [h.run, h.outcome])).toEqual([
      [1, 'retrying'],
      [1, 'retrying'],
      [1, 'failed'],
      [2, 'retrying'],
      [2, 'retrying'],
    ]);
    expect(v.focus).toMatchObject({ shardNo: 7 });
    expect(v.banner).toMatch(/— tried 2 times over 2 s$/);
    expect(v.panel(7).headline).toBe(v.banner);
    expect(v.laneBar[1]).toMatch(/retrying, tried 2 times$/);
  });
});
