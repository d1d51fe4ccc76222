import { describe, expect, it } from 'vitest';
import { exactInteger, isRawJsonNumber, parseExactJson } from './exact-json';

describe('parseExactJson', () => {
  it('keeps integers beyond 2^53 digit for digit through a round trip', () => {
    const text = '{"hs_object_id":9007199254740993,"ids":[-9223372036854775808,9223372036854775807],"n":42,"f":1.5}';
    const value = parseExactJson(text) as Record<string, unknown>;
    expect(JSON.stringify(value)).toBe(text);
    expect(exactInteger(value.hs_object_id)).toBe(9007199254740993n);
    expect(value.n).toBe(42);
    expect(value.f).toBe(1.5);
  });

  it('leaves floats and safe integers as numbers', () => {
    const value = parseExactJson('[1e300, 12.000000000000001, 9007199254740991]') as unknown[];
    expect(value.some(isRawJsonNumber)).toBe(false);
    expect(exactInteger(value[2])).toBe(9007199254740991n);
    expect(exactInteger(value[0])).toBeUndefined();
  });
});
