import { describe, expect, it } from 'vitest';
import {
  exactInteger,
  exactJsonFetch,
  integerOf,
  isRawJsonNumber,
  parseExactJson,
  unsafeIntegersAsStrings,
} from './exact-json.ts';

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

describe('unsafeIntegersAsStrings', () => {
  it('turns only integers beyond 2^53 into decimal strings, digit for digit', () => {
    const text = '[{"key_after":9007199254740993,"rows":250,"x":1.5,"max":-9223372036854775808}]';
    expect(unsafeIntegersAsStrings(text)).toBe(
      '[{"key_after":"9007199254740993","rows":250,"x":1.5,"max":"-9223372036854775808"}]',
    );
    expect(unsafeIntegersAsStrings('{"a":1}')).toBe('{"a":1}');
  });

  it('exactJsonFetch rewrites JSON answers and leaves other bodies alone', async () => {
    const base = ((input: RequestInfo | URL) =>
      Promise.resolve(
        new Response(String(input).endsWith('json') ? '{"k":9007199254740993}' : 'a,9007199254740993', {
          headers: { 'content-type': String(input).endsWith('json') ? 'application/json' : 'text/csv' },
        }),
      )) as typeof fetch;
    const exact = exactJsonFetch(base);
    expect(await (await exact('http://x/json')).json()).toEqual({ k: '9007199254740993' });
    expect(await (await exact('http://x/csv')).text()).toBe('a,9007199254740993');
  });
});

describe('integerOf', () => {
  it('reads safe numbers, raw JSON numbers and digit strings as exact bigints', () => {
    expect(integerOf(42)).toBe(42n);
    expect(integerOf('9007199254740993')).toBe(9007199254740993n);
    expect(integerOf((parseExactJson('{"k":9007199254740993}') as { k: unknown }).k)).toBe(9007199254740993n);
    expect(integerOf(9007199254740992)).toBeUndefined();
    expect(integerOf(1.5)).toBeUndefined();
    expect(integerOf('12a')).toBeUndefined();
  });
});
