import { describe, expect, it } from 'vitest';
import { RestError } from './errors';
import { negotiateAccept, parsePrefer } from './headers';

describe('parsePrefer', () => {
  it('reads the preferences postgrest-js joins with ", "', () => {
    expect(parsePrefer('resolution=merge-duplicates, return=representation, count=exact, missing=default')).toEqual({
      return: 'representation',
      count: true,
      resolution: 'merge-duplicates',
      missing: 'default',
      strict: false,
      maxAffected: undefined,
    });
    expect(parsePrefer('handling=strict, max-affected=3')).toMatchObject({ strict: true, maxAffected: 3 });
    expect(parsePrefer(undefined)).toMatchObject({ return: undefined, count: false });
  });
});

describe('negotiateAccept', () => {
  it('chooses array or single object, with nulls stripped on request', () => {
    expect(negotiateAccept(undefined)).toEqual({ single: false, stripNulls: false });
    expect(negotiateAccept('*/*')).toEqual({ single: false, stripNulls: false });
    expect(negotiateAccept('application/vnd.pgrst.object+json')).toEqual({ single: true, stripNulls: false });
    expect(negotiateAccept('application/vnd.pgrst.array+json;nulls=stripped')).toEqual({
      single: false,
      stripNulls: true,
    });
  });

  it('refuses unavailable media types with 406 PGRST107', () => {
    try {
      negotiateAccept('text/csv');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(RestError);
      expect((error as RestError).status).toBe(406);
      expect((error as RestError).body).toMatchObject({
        code: 'PGRST107',
        message: 'None of these media types are available: text/csv',
      });
    }
  });
});
