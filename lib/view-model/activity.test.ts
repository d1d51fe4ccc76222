import { describe, expect, it } from 'vitest';
import type { ExportEvent, ExportInvocation, ExportJob, ExportShardFailure } from '@/lib/exports/types';
import { buildActivity, formatShardRanges, numberRanges } from './activity';

const job = {
  id: 'job-1',
  name: 'Blog posts · all records',
  collection: 'blog_posts',
  format: 'csv',
  filter: null,
  fields: ['hs_object_id', 'title'],
  estimated_rows: 1100,
  page_size: 250,
  lane_count: 2,
  lane_bounds: [500],
  key_field: 'hs_object_id',
  requested_by: 'me',
  created_at: '2026-12-01T10:00:00.000+00:00',
} as unknown as ExportJob;

const inv = (id: string, at: string, end: ExportInvocation['end_reason']): ExportInvocation => ({
  id,
  job_id: 'job-1',
  lane_no: 1,
  generation: 1,
  started_at: at,
  ended_at: at,
  shards_written: 4,
  rows_written: 1000,
  last_heartbeat_at: null,
  end_reason: end,
  cpu_ms: null,
  wall_ms: 1500,
  peak_heap_bytes: null,
  error: null,
});

const ev = (id: number, kind: ExportEvent['kind'], at: string, actor: string | null, detail = {}, run = 1) =>
  ({ id, job_id: 'job-1', run_no: run, kind, actor, detail, at }) satisfies ExportEvent;

describe('buildActivity', () => {
  it('tells a cancelled-then-re-run export apart from a plain completed one, with who did what', () => {
    const failure: ExportShardFailure = {
      id: 1,
      job_id: 'job-1',
      run_no: 1,
      lane: 1,
      lane_seq: 2,
      invocation_id: 'a',
      attempt: 1,
      max_attempts: 5,
      error_kind: 'source_unavailable',
      error: 'Typesense answered 503',
      outcome: 'retrying',
      next_retry_at: '2026-12-01T10:00:04.000+00:00',
      failed_at: '2026-12-01T10:00:02.000+00:00',
    };
    const entries = buildActivity(
      job,
      {
        invocations: [inv('aaaaaaaa-1', '2026-12-01T10:00:01.000+00:00', 'error')],
        failures: [failure],
        events: [
          ev(1, 'cancel_requested', '2026-12-01T10:00:05.000+00:00', 'me'),
          ev(2, 'cancelled', '2026-12-01T10:00:06.000+00:00', null, { rows: 1000, shards: 4 }),
          ev(
            3,
            'rerun_requested',
            '2026-12-01T10:00:07.000+00:00',
            'colleague',
            {
              shard_ranges: [
                [2, 3],
                [9, 9],
              ],
              tail: true,
            },
            2,
          ),
          ev(4, 'completed', '2026-12-01T10:00:08.000+00:00', null, { rows: 1100, shards: 5 }, 2),
          ev(
            5,
            'downloaded',
            '2026-12-01T10:00:09.000+00:00',
            'gone',
            { form: 'excel', partial: false, bytes: 2048 },
            2,
          ),
        ],
      },
      'me',
      [{ user_id: 'colleague', email: 'sam@agency.test' }],
    );
    expect(entries.map((e) => e.title)).toEqual([
      'Created by you',
      'Planned 2 lanes',
      'Invocation #1 on lane 1: error',
      expect.stringMatching(/^Lane 1 failed, attempt 1 of 5: retry at \d\d:\d\d:\d\d \(after 2 s\)$/),
      'Cancel requested by you',
      'Cancelled (run 1): the worker stopped',
      'Re-run requested by sam@agency.test (run 2)',
      'Completed (run 2)',
      'Downloaded by a former member',
    ]);
    expect(entries.find((e) => e.kind === 'rerun_requested')!.detail).toBe(
      'Re-runs shards 2–3 and 9 and the unwritten rest',
    );
    expect(entries.find((e) => e.kind === 'cancelled')!.detail).toBe('1,000 records in 4 shards before the cancel');
    expect(entries.find((e) => e.kind === 'downloaded')!.detail).toBe('whole file · form excel · 2.05 kB');
    expect(entries.find((e) => e.kind === 'lanes')!.detail).toBe('Split on hs_object_id at 500');
  });
});

describe('formatShardRanges', () => {
  it('reads like the retry preview', () => {
    expect(formatShardRanges([[38, 38]])).toBe('shard 38');
    expect(
      formatShardRanges([
        [215, 268],
        [38, 38],
      ]),
    ).toBe('shards 215–268 and 38');
  });
});

describe('numberRanges', () => {
  it('groups shard numbers into runs, as the retry preview names them', () => {
    expect(formatShardRanges(numberRanges([268, 38, ...Array.from({ length: 53 }, (_, i) => 215 + i)]))).toBe(
      'shards 38 and 215–268',
    );
    expect(numberRanges([])).toEqual([]);
  });
});
