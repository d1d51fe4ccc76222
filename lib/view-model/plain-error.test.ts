import { describe, expect, it } from 'vitest';
import { plainError, plainErrorCause, plainErrorSentence } from './plain-error';

const at = (s: number) => ({ failed_at: new Date(Date.UTC(2026, 11, 1, 10, 0, s)).toISOString(), error_kind: 'x' });

describe('plainError', () => {
  it('puts the plain sentence first and keeps the raw error for the details', () => {
    const raw = 'Lane 1: upload 0b5e/shard-000038.g5.ndjson: Storage is unavailable';
    const e = plainError({ last_error: raw, last_error_kind: 'storage_failed' }, 38, [0, 2, 6, 14, 72].map(at));
    expect(e).toEqual({
      headline: "Couldn't save shard 38: storage unavailable — tried 5 times over 1 min 12 s",
      shardNo: 38,
      raw,
      kind: 'storage_failed',
    });
  });

  it('says something plain for kinds it does not know, and nothing when there is no error', () => {
    expect(plainError({ last_error: 'boom', last_error_kind: 'weird' }, null, [])!.headline).toBe(
      "Couldn't write a shard: something went wrong",
    );
    expect(plainError({ last_error: null, last_error_kind: null }, 3, [])).toBeNull();
    expect(plainError({ last_error: 'x', last_error_kind: 'storage_failed' }, null, [], 2)!.headline).toBe(
      "Couldn't save the next shard of lane 2: storage unavailable",
    );
    expect(plainError({ last_error: 'x', last_error_kind: 'killed' }, 1_234, [at(0)])!.headline).toBe(
      "Couldn't finish shard 1,234: the worker stopped without a word (killed or out of time) — tried once",
    );
  });
});

describe('plainErrorSentence', () => {
  it('says what a kind means without a shard, with the same words as the banner', () => {
    expect(plainErrorSentence('source_unavailable')).toBe(
      "Couldn't read the records of a shard: the search index (Typesense) did not answer",
    );
    expect(plainErrorSentence('storage_failed')).toBe("Couldn't save a shard: storage unavailable");
    expect(plainErrorSentence(null)).toBe("Couldn't write a shard: something went wrong");
    expect(plainErrorSentence('weird')).toBe("Couldn't write a shard: something went wrong");
    expect(plainErrorCause('storage_failed')).toBe('storage unavailable');
  });
});
