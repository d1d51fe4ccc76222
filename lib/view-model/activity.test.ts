import { describe, expect, it } from 'vitest';
import type { ExportEvent, ExportInvocation, ExportJob, ExportShardFailure } from '@/lib/exports/types';
import { buildActivity, downloadEntry, formatShardRanges, instant, numberRanges } from './activity';
import { END_REASON_TONE } from './support-logic';

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

const inv = (
  id: string,
  at: string,
  end: ExportInvocation['end_reason'],
  endedAt: string | null = at,
  lane = 1,
): ExportInvocation => ({
  id,
  job_id: 'job-1',
  lane_no: lane,
  generation: 1,
  started_at: at,
  ended_at: endedAt,
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
        invocations: [inv('aaaaaaaa-1', '2026-12-01T10:00:01.000+00:00', 'error', '2026-12-01T10:00:02.500+00:00')],
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
      'Invocation #1 on lane 1 started',
      "Lane 1 couldn't read the records of its shard 2: the search index (Typesense) did not answer",
      'Invocation #1 on lane 1 ended: error',
      'Cancel requested by you',
      'Cancelled (run 1): the worker stopped',
      'Re-run requested by sam@agency.test (run 2)',
      'Completed (run 2)',
      'Downloaded by a former member',
    ]);
    expect(entries.find((e) => e.kind === 'failure')).toMatchObject({
      detail: expect.stringMatching(/^Attempt 1 of 5: retry at \d\d:\d\d:\d\d \(after 2 s\)$/) as string,
      // The raw text is kept, one click away: never in the sentence.
      technical: 'source_unavailable: Typesense answered 503 · invocation a',
      lane: 1,
      actor: null,
    });
    expect(entries.find((e) => e.kind === 'rerun_requested')!.detail).toBe(
      'Re-runs shards 2–3 and 9 and the unwritten rest',
    );
    expect(entries.find((e) => e.kind === 'cancelled')!.detail).toBe('1,000 records in 4 shards before the cancel');
    expect(entries.find((e) => e.kind === 'downloaded')!.detail).toBe('whole file · form excel · 2.05 kB');
    expect(entries.find((e) => e.kind === 'lanes')!.detail).toBe('Split on hs_object_id at 500');
  });
});

describe('buildActivity, in the order things happened', () => {
  it('puts a worker run’s start at its start and its outcome at its end, after the cancel it obeyed', () => {
    const entries = buildActivity(
      job,
      {
        invocations: [
          inv('lane-1', '2026-12-01T10:00:01.000+00:00', 'cancelled', '2026-12-01T10:00:09.000+00:00', 1),
          inv('lane-2', '2026-12-01T10:00:02.000+00:00', 'cancelled', '2026-12-01T10:00:08.000+00:00', 2),
        ],
        failures: [],
        events: [
          ev(1, 'cancel_requested', '2026-12-01T10:00:05.000+00:00', 'me'),
          ev(2, 'cancelled', '2026-12-01T10:00:09.500+00:00', null, { rows: 10, shards: 1 }),
        ],
      },
      'me',
      [],
    );
    expect(entries.map((e) => `${e.at.slice(11, 21)} ${e.title}`)).toEqual([
      '10:00:00.0 Created by you',
      '10:00:00.0 Planned 2 lanes',
      '10:00:01.0 Invocation #1 on lane 1 started',
      '10:00:02.0 Invocation #2 on lane 2 started',
      '10:00:05.0 Cancel requested by you',
      '10:00:08.0 Invocation #2 on lane 2 ended: cancelled',
      '10:00:09.0 Invocation #1 on lane 1 ended: cancelled',
      '10:00:09.5 Cancelled (run 1): the worker stopped',
    ]);
  });

  it('orders by the microsecond Postgres recorded, not only the millisecond', () => {
    const entries = buildActivity(
      job,
      {
        invocations: [inv('lane-1', '2026-12-01T10:00:01.000+00:00', 'cancelled', '2026-12-01T10:00:05.123900+00:00')],
        failures: [],
        events: [ev(1, 'cancel_requested', '2026-12-01T10:00:05.123400+00:00', 'me')],
      },
      'me',
      [],
    );
    expect(entries.slice(-2).map((e) => e.kind)).toEqual(['cancel_requested', 'invocation_ended']);
    expect(instant('2026-12-01T10:00:05.123400+00:00')).toBeLessThan(instant('2026-12-01T10:00:05.123900+00:00'));
    expect(instant('2026-12-01T10:00:05.123Z')).toBe(Date.parse('2026-12-01T10:00:05.123Z') * 1000);
  });

  it('puts a request before what it caused when one transaction stamped both (an idle export cancelled at once)', () => {
    const at = '2026-12-01T10:00:05.123456+00:00';
    const entries = buildActivity(
      job,
      {
        invocations: [],
        failures: [],
        // The trigger's row comes first in the table: the job was settled before the request was recorded.
        events: [ev(2, 'cancelled', at, null, { rows: 0, shards: 0 }), ev(3, 'cancel_requested', at, 'me')],
      },
      'me',
      [],
    );
    expect(entries.slice(-2).map((e) => e.title)).toEqual([
      'Cancel requested by you',
      'Cancelled (run 1): the worker stopped',
    ]);
  });

  it('shows a running invocation’s start only, and a declined call once, when it was turned away', () => {
    const entries = buildActivity(
      job,
      {
        invocations: [
          inv('running', '2026-12-01T10:00:01.000+00:00', null, null),
          inv('declined', '2026-12-01T10:00:02.000+00:00', 'declined'),
        ],
        failures: [],
        events: [],
      },
      'me',
      [],
    );
    expect(entries.slice(2).map((e) => e.title)).toEqual([
      'Invocation #1 on lane 1 started',
      'Invocation #2 on lane 1 was declined: the lane was taken, finished or over the running-lane cap',
    ]);
  });

  it('gives an invocation stopped by the job’s end the tone the support panel gives it, not a running one', () => {
    const entries = buildActivity(
      job,
      { invocations: [inv('stopped', '2026-12-01T10:00:01.000+00:00', 'stopped')], failures: [], events: [] },
      'me',
      [],
    );
    const ended = entries.find((e) => e.kind === 'invocation_ended');
    expect(ended?.tone).toBe('cancelled');
    expect(ended?.tone).toBe(END_REASON_TONE.stopped);
  });

  it('says a failed run’s cause in words and keeps the raw error for the details', () => {
    const entries = buildActivity(
      job,
      {
        invocations: [],
        failures: [],
        events: [
          ev(1, 'failed', '2026-12-01T10:00:05.000+00:00', null, {
            rows: 0,
            shards: 0,
            error_kind: 'storage_failed',
            error: 'upload x: HTTP 503 Service Unavailable',
          }),
        ],
      },
      'me',
      [],
    );
    expect(entries.at(-1)).toMatchObject({
      title: 'Failed (run 1): storage unavailable',
      technical: 'storage_failed: upload x: HTTP 503 Service Unavailable',
    });
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

describe('downloadEntry', () => {
  const at = '2026-12-01T10:00:09.000+00:00';
  it('says who, which range and how much went out, and a cut download as cut', () => {
    expect(
      downloadEntry(
        ev(1, 'downloaded', at, 'me', {
          form: 'plain',
          partial: false,
          range: [1000, 1999],
          size: 50_000,
          bytes: 1000,
          outcome: 'completed',
        }),
        'you',
      ),
    ).toMatchObject({ tone: 'neutral', title: 'Downloaded by you', detail: 'whole file · bytes 1,000–1,999 · 1 kB' });
    expect(
      downloadEntry(
        ev(2, 'downloaded', at, 'me', {
          form: 'gzip',
          partial: false,
          range: null,
          size: 50_000,
          bytes: 12_000,
          outcome: 'cut',
        }),
        'you',
      ),
    ).toMatchObject({
      tone: 'cancelled',
      title: 'Download cut short by you',
      detail: 'whole file · form gzip · 12 kB sent, then cut short',
    });
  });

  it('names a share link by its note instead of a person', () => {
    const event = {
      ...ev(3, 'downloaded', at, null, {
        form: 'excel',
        partial: false,
        range: null,
        size: 10,
        bytes: 10,
        outcome: 'completed',
        note: 'For Acme',
      }),
      share_link_id: 'link-1',
    };
    expect(downloadEntry(event, null)).toMatchObject({
      title: 'Downloaded through a share link (“For Acme”)',
      detail: 'whole file · form excel · 10 B',
      technical: 'share link link-1',
    });
  });

  it('says a download came with an API token, not from the system', () => {
    const event = ev(4, 'downloaded', at, null, {
      form: 'plain',
      partial: false,
      range: [0, 9],
      size: 100,
      bytes: 10,
      outcome: 'completed',
      apiTokenId: 'token-1',
    });
    expect(downloadEntry(event, null)).toMatchObject({
      title: 'Downloaded with an API token',
      technical: 'API token token-1',
    });
  });
});
