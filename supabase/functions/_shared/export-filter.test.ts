import { describe, expect, it } from 'vitest';
import {
  checkFilterTokens,
  checkUserFilter,
  composePageFilter,
  countFilterTokens,
  filterUnderScope,
} from './export-filter.ts';

describe('checkUserFilter', () => {
  it('accepts balanced filters, ignoring parentheses inside backticks', () => {
    expect(checkUserFilter('(state:=PUBLISHED || state:=DRAFT) && language:=en')).toEqual({ ok: true });
    expect(checkUserFilter('title:=`a ) b`')).toEqual({ ok: true });
  });

  it('refuses a filter that closes its own parentheses to escape the mandatory filter', () => {
    const check = checkUserFilter('state:=DRAFT) || (portal_id:>0');
    expect(check.ok).toBe(false);
    expect(!check.ok && check.message).toMatch(/Unbalanced "\)" at position 13/);
  });

  it('refuses unclosed parentheses and backticks, and overlong filters', () => {
    expect(checkUserFilter('(a:=1').ok).toBe(false);
    expect(checkUserFilter('a:=`x').ok).toBe(false);
    expect(checkUserFilter('a'.repeat(2001)).ok).toBe(false);
  });
});

describe('composePageFilter', () => {
  it('parenthesises the user filter and adds the keyset bounds, cursor last', () => {
    expect(
      composePageFilter({
        keyField: 'hs_object_id',
        userFilter: 'state:=DRAFT || state:=PUBLISHED',
        afterKey: 100,
        lastKey: 350,
      }),
    ).toBe('(state:=DRAFT || state:=PUBLISHED) && hs_object_id:<=350 && hs_object_id:>100');
  });

  it('omits what is not there', () => {
    expect(composePageFilter({ keyField: 'k', userFilter: '  ', afterKey: null })).toBe('');
    expect(composePageFilter({ keyField: 'k', userFilter: null, afterKey: 0 })).toBe('k:>0');
  });
});

describe('filterUnderScope', () => {
  it('is what Typesense searches under a scoped key: the request, then the key’s filter', () => {
    expect(filterUnderScope('(state:=DRAFT) && k:>0', ' portal_id:=7 ')).toBe(
      '((state:=DRAFT) && k:>0) && (portal_id:=7)',
    );
    expect(filterUnderScope('', 'portal_id:=7')).toBe('portal_id:=7');
    expect(filterUnderScope('k:>0', null)).toBe('k:>0');
  });
});

describe('countFilterTokens', () => {
  it('counts like Typesense: conditions, operators and parentheses; lists, backticks and geo values are one', () => {
    expect(countFilterTokens('a:=1')).toBe(1);
    expect(countFilterTokens('(a:=1 || b:=2) && c:[x, y, `z && (w)`]')).toBe(7);
    expect(countFilterTokens('location:(48.85, 2.35, 5 km) && a:>1')).toBe(3);
    expect(countFilterTokens('')).toBe(0);
  });
});

describe('checkFilterTokens', () => {
  const source = { keyField: 'hs_object_id', mandatoryFilter: 'portal_id:=7' };
  // 72 conditions joined by || is 143 tokens: a valid filter of about 1,400 characters.
  const long = Array.from({ length: 72 }, (_, i) => `state:=STATE_${i}`).join(' || ');

  it('accepts a filter that fits with the mandatory filter and the paging bounds', () => {
    const fits = Array.from({ length: 44 }, (_, i) => `a:=${i}`).join(' || '); // 87 tokens + 12 = 99
    expect(checkFilterTokens({ ...source, userFilter: fits })).toEqual({ ok: true });
    expect(checkFilterTokens({ ...source, userFilter: null })).toEqual({ ok: true });
  });

  it('refuses one over the cap with the count, the limit and what to do', () => {
    const over = Array.from({ length: 45 }, (_, i) => `a:=${i}`).join(' || '); // 89 + 12 = 101
    expect(checkFilterTokens({ ...source, userFilter: over }).ok).toBe(false);
    const check = checkFilterTokens({ ...source, userFilter: long });
    expect(check).toEqual({
      ok: false,
      message: expect.stringMatching(
        /^The filter has 143 terms .*at most 100 .*use 12 of them, so a filter can have at most 88\. Combine/,
      ),
    });
  });
});
