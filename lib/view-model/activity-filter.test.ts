import { describe, expect, it } from 'vitest';
import type { ActivityEntry } from './activity';
import { activityPeople, filterActivity, SYSTEM_ACTOR } from './activity-filter';

const entry = (key: string, kind: ActivityEntry['kind'], lane: number | null, actor: string | null): ActivityEntry => ({
  key,
  at: '2026-12-01T10:00:00.000Z',
  kind,
  tone: 'neutral',
  title: key,
  detail: null,
  technical: null,
  lane,
  actor,
  run: 1,
});

const entries = [
  entry('created', 'created', null, 'me'),
  entry('start-1', 'invocation_started', 1, null),
  entry('fail-2', 'failure', 2, null),
  entry('end-2', 'invocation_ended', 2, null),
  entry('cancel', 'cancel_requested', null, 'sam'),
  entry('failed', 'failed', null, null),
  entry('download', 'downloaded', null, 'me'),
];
const keys = (list: ActivityEntry[]) => list.map((e) => e.key);

describe('filterActivity', () => {
  it('keeps everything without a filter', () => {
    expect(keys(filterActivity(entries, { kind: null, lane: null, by: null }))).toEqual(keys(entries));
  });

  it('filters by kind, a lane, a person or Baton itself, and by all of them at once', () => {
    expect(keys(filterActivity(entries, { kind: 'failures', lane: null, by: null }))).toEqual(['fail-2', 'failed']);
    expect(keys(filterActivity(entries, { kind: null, lane: 2, by: null }))).toEqual(['fail-2', 'end-2']);
    expect(keys(filterActivity(entries, { kind: null, lane: null, by: 'me' }))).toEqual(['created', 'download']);
    expect(keys(filterActivity(entries, { kind: null, lane: null, by: SYSTEM_ACTOR }))).toEqual([
      'start-1',
      'fail-2',
      'end-2',
      'failed',
    ]);
    expect(keys(filterActivity(entries, { kind: 'worker', lane: 2, by: SYSTEM_ACTOR }))).toEqual(['end-2']);
    expect(filterActivity(entries, { kind: 'renames', lane: null, by: null })).toEqual([]);
  });
});

describe('activityPeople', () => {
  it('lists you first, colleagues by name, then Baton; a deleted account as a former member', () => {
    expect(
      activityPeople([...entries, entry('x', 'renamed', null, 'gone')], 'me', [
        { user_id: 'sam', email: 'sam@a.test' },
      ]),
    ).toEqual([
      { id: 'me', label: 'you' },
      { id: 'gone', label: 'a former member' },
      { id: 'sam', label: 'sam@a.test' },
      { id: SYSTEM_ACTOR, label: 'Baton (automatic)' },
    ]);
  });
});
