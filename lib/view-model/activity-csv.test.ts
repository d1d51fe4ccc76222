import { describe, expect, it } from 'vitest';
import type { ActivityEntry } from './activity';
import { activityCsv, activityCsvFileName } from './activity-csv';

const renamed: ActivityEntry = {
  key: 'ev-1',
  at: '2026-12-01T10:00:05.123456+00:00',
  kind: 'renamed',
  tone: 'neutral',
  title: 'Renamed by you',
  detail: '“Old, “quoted” name” → “=HYPERLINK(""http://x"")”',
  technical: null,
  lane: null,
  actor: 'me',
  run: 2,
};
const failure: ActivityEntry = {
  ...renamed,
  key: 'fail-1',
  kind: 'failure',
  title: "Lane 3 couldn't save its shard 7: storage unavailable",
  detail: 'Attempt 1 of 5: gave up',
  technical: 'storage_failed: upload\r\nHTTP 503',
  lane: 3,
  actor: null,
};

describe('activityCsv', () => {
  it('writes one row per entry under a header, quoting what needs it, formulas disarmed', () => {
    const csv = activityCsv([renamed, failure], (actor) => (actor ? 'you' : 'Baton (automatic)'));
    expect(csv.startsWith('time,kind,run,lane,by,what happened,detail,technical detail\r\n')).toBe(true);
    expect(csv).toBe(
      [
        'time,kind,run,lane,by,what happened,detail,technical detail',
        '2026-12-01T10:00:05.123Z,renamed,2,,you,Renamed by you,"“Old, “quoted” name” → “=HYPERLINK(""""http://x"""")”",',
        `2026-12-01T10:00:05.123Z,failure,2,3,Baton (automatic),Lane 3 couldn't save its shard 7: storage unavailable,Attempt 1 of 5: gave up,"storage_failed: upload\r\nHTTP 503"`,
        '',
      ].join('\r\n'),
    );
    const formula = activityCsv([{ ...renamed, detail: '=1+1' }], () => 'you');
    expect(formula).toContain(",'=1+1,");
  });

  it('names the file after the export', () => {
    expect(activityCsvFileName('Blog posts · all records · 2026-12-01 10:00 UTC')).toBe(
      'activity-blog-posts-all-records-2026-12-01-10-00-utc.csv',
    );
    expect(activityCsvFileName('···')).toBe('activity-export.csv');
  });
});
