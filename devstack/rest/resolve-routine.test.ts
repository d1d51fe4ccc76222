import { describe, expect, it } from 'vitest';
import type { RestError } from './errors';
import { resolveRoutine } from './resolve-routine';
import type { Routine } from './schema-cache';

const routine = (name: string, params: Array<[string, string, boolean?]>): Routine => ({
  name,
  params: params.map(([n, type, hasDefault]) => ({ name: n, type, hasDefault: hasDefault ?? false })),
  returns: { kind: 'scalar', set: false },
  volatility: 'volatile',
});

describe('resolveRoutine', () => {
  const add = routine('f', [['a', 'integer']]);
  const pair = routine('f', [
    ['a', 'text'],
    ['b', 'text', true],
  ]);

  it('matches arguments by name, allowing defaulted parameters to be left out', () => {
    expect(resolveRoutine('f', [pair], ['a'], 'POST')).toMatchObject({
      routine: pair,
      argNames: ['a'],
      singleJson: false,
    });
    expect(resolveRoutine('f', [pair], ['b', 'a'], 'POST').argNames).toEqual(['b', 'a']);
  });

  it('POST refuses unknown keys and missing required ones with PGRST202', () => {
    for (const keys of [['a', 'zzz'], ['b'], []]) {
      try {
        resolveRoutine('f', [add], keys, 'POST');
        expect.unreachable();
      } catch (error) {
        expect((error as RestError).body.code).toBe('PGRST202');
        expect((error as RestError).status).toBe(404);
      }
    }
  });

  it('GET treats keys that are not parameters as filters, preferring the overload that uses most keys', () => {
    expect(resolveRoutine('f', [add, pair], ['a', 'b', 'status'], 'GET')).toMatchObject({
      routine: pair,
      argNames: ['a', 'b'],
    });
  });

  it('reports ambiguity with PGRST203', () => {
    try {
      resolveRoutine('f', [add, pair], ['a'], 'POST');
      expect.unreachable();
    } catch (error) {
      expect((error as RestError).body.code).toBe('PGRST203');
      expect((error as RestError).status).toBe(300);
    }
  });

  it('falls back to a single unnamed json parameter on POST', () => {
    const whole = routine('g', [['', 'jsonb']]);
    expect(resolveRoutine('g', [whole], ['anything'], 'POST')).toMatchObject({ routine: whole, singleJson: true });
  });
});
