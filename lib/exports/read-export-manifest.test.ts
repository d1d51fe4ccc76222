import { describe, expect, it } from 'vitest';
import { manifestReadQuery } from './read-export-manifest';

describe('manifestReadQuery: the shards route query string', () => {
  it('reads the whole manifest by default, and what changed after a cursor with since', () => {
    expect(manifestReadQuery.parse({})).toEqual({ verify: null });
    expect(manifestReadQuery.parse({ since: '0' })).toEqual({ verify: null, since: '0' });
    expect(manifestReadQuery.parse({ since: '9223372036854775807' })).toEqual({
      verify: null,
      since: '9223372036854775807',
    });
    expect(manifestReadQuery.parse({ verify: 'checksum' })).toEqual({ verify: 'checksum' });
  });

  it.each([
    ['-1', 'since: since must be the cursor an earlier answer gave (digits)'],
    ['12a', 'since: since must be the cursor an earlier answer gave (digits)'],
    ['007', 'since: since must be the cursor an earlier answer gave (digits)'],
    ['', 'since: since must be the cursor an earlier answer gave (digits)'],
    ['9223372036854775808', 'since: since must be the cursor an earlier answer gave'],
  ])('refuses since=%j, naming the field', (since, message) => {
    const result = manifestReadQuery.safeParse({ since });
    expect(result.success).toBe(false);
    const issue = result.error!.issues[0]!;
    expect(`${issue.path.join('.')}: ${issue.message}`).toBe(message);
  });

  it('refuses a storage check of only what changed', () => {
    const result = manifestReadQuery.safeParse({ verify: '1', since: '42' });
    expect(result.error?.issues[0]).toMatchObject({
      path: ['since'],
      message: 'verify checks the whole manifest: send it without since',
    });
    expect(manifestReadQuery.safeParse({ verify: '0', since: '42' }).success).toBe(true);
  });
});
