import { describe, expect, it } from 'vitest';
import { groupErrors, parseShardList, splitError } from './support-logic';

const inv = (id: string, error: string | null, at: string) => ({ id, error, started_at: at, ended_at: at });

describe('splitError', () => {
  it('reads the worker’s "kind: message"', () => {
    expect(splitError('source_unavailable: Typesense answered 503')).toEqual({
      kind: 'source_unavailable',
      message: 'Typesense answered 503',
    });
    expect(splitError('Boom')).toEqual({ kind: 'error', message: 'Boom' });
  });
});

describe('groupErrors', () => {
  it('groups by kind, most frequent first, newest message wins', () => {
    const groups = groupErrors(
      { last_error: 'Typesense answered 503', last_error_kind: 'source_unavailable', updated_at: 'z' },
      [
        inv('1', 'source_unavailable: first', '2026-01-01T00:00:01Z'),
        inv('2', 'storage_failed: disk', '2026-01-01T00:00:02Z'),
        inv('3', 'source_unavailable: second', '2026-01-01T00:00:03Z'),
        inv('4', null, '2026-01-01T00:00:04Z'),
      ],
    );
    expect(groups.map((g) => [g.kind, g.count, g.message, g.current])).toEqual([
      ['source_unavailable', 2, 'second', true],
      ['storage_failed', 1, 'disk', false],
    ]);
  });

  it('includes a job error no invocation recorded', () => {
    const groups = groupErrors(
      { last_error: 'lease expired', last_error_kind: 'killed', updated_at: '2026-01-01T00:00:00Z' },
      [],
    );
    expect(groups).toEqual([
      {
        kind: 'killed',
        count: 1,
        message: 'lease expired',
        invocationIds: [],
        lastAt: '2026-01-01T00:00:00Z',
        current: true,
      },
    ]);
  });
});

describe('parseShardList', () => {
  it('parses numbers and ranges', () => {
    expect(parseShardList('3, 10-12 40 3', 100)).toEqual({ ok: true, shardNos: [3, 10, 11, 12, 40] });
    expect(parseShardList('', 100)).toEqual({ ok: true, shardNos: [] });
  });

  it('rejects junk and out-of-range shards', () => {
    expect(parseShardList('a', 10)).toMatchObject({ ok: false });
    expect(parseShardList('5-20', 10)).toMatchObject({ ok: false, message: '5-20 is outside shards 1–10.' });
    expect(parseShardList('0', 10)).toMatchObject({ ok: false });
  });
});
