import { describe, expect, it } from 'vitest';
import { checkUserFilter, composePageFilter } from './export-filter.ts';

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
  it('parenthesises every part and adds the keyset bounds', () => {
    expect(
      composePageFilter({
        keyField: 'hs_object_id',
        mandatoryFilter: 'portal_id:=7',
        userFilter: 'state:=DRAFT || state:=PUBLISHED',
        afterKey: 100,
        lastKey: 350,
      }),
    ).toBe('(portal_id:=7) && (state:=DRAFT || state:=PUBLISHED) && hs_object_id:<=350 && hs_object_id:>100');
  });

  it('omits what is not there', () => {
    expect(composePageFilter({ keyField: 'k', mandatoryFilter: null, userFilter: '  ', afterKey: null })).toBe('');
    expect(composePageFilter({ keyField: 'k', mandatoryFilter: null, userFilter: null, afterKey: 0 })).toBe('k:>0');
  });
});
