import { describe, expect, it } from 'vitest';
import { exportsCount } from './format';
import { errorKindSentence, sweepState } from './system-health-figures';

const now = Date.parse('2026-12-07T10:00:00Z');

describe('sweepState', () => {
  it('is on time within three of its own intervals, late after', () => {
    const sweep = { interval_seconds: 2, schedule: null };
    expect(sweepState({ ...sweep, last_run_at: '2026-12-07T09:59:55Z' }, now)).toMatchObject({
      state: 'ok',
      sentence: 'On time: it runs about every 2 s.',
    });
    expect(sweepState({ ...sweep, last_run_at: '2026-12-07T09:59:53Z' }, now).state).toBe('late');
  });

  it('reads the hosted schedule, and says when it never ran', () => {
    expect(
      sweepState({ interval_seconds: null, schedule: '10 seconds', last_run_at: '2026-12-07T09:59:55Z' }, now),
    ).toMatchObject({ state: 'ok', sentence: 'On time: it is scheduled every 10 seconds.' });
    expect(sweepState({ interval_seconds: null, schedule: null, last_run_at: null }, now).state).toBe('never');
  });
});

describe('errorKindSentence', () => {
  it('says an error kind in plain words, an unknown one too', () => {
    expect(errorKindSentence({ kind: 'source_unavailable', count: 2 })).toBe(
      '2 × the search index (Typesense) did not answer',
    );
    expect(errorKindSentence({ kind: null, count: 1 })).toBe('1 × something went wrong');
  });
});

describe('exportsCount', () => {
  it('counts exports', () => {
    expect(exportsCount(1, 'running')).toBe('1 running export');
    expect(exportsCount(0)).toBe('0 exports');
  });
});
