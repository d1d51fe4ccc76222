import { describe, expect, it } from 'vitest';
import { RestError } from './errors';
import { insertColumns } from './plan-table';

describe('insertColumns', () => {
  it('takes the columns parameter, else the payload keys', () => {
    expect(insertColumns([{ a: 1 }, { b: 2 }], ['a', 'b'])).toEqual(['a', 'b']);
    expect(insertColumns({ a: 1, b: null }, undefined)).toEqual(['a', 'b']);
    expect(
      insertColumns(
        [
          { a: 1, b: 2 },
          { b: 3, a: 4 },
        ],
        undefined,
      ),
    ).toEqual(['a', 'b']);
    expect(insertColumns([], undefined)).toEqual([]);
  });

  it('requires matching keys without a columns parameter, and objects only', () => {
    for (const payload of [[{ a: 1 }, { b: 2 }], [1, 2], 'text', null]) {
      try {
        insertColumns(payload, undefined);
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(RestError);
        expect((error as RestError).body.code).toBe('PGRST102');
      }
    }
  });
});
