import { describe, expect, it } from 'vitest';
import { listExportsQuery } from './list-exports';

describe('listExportsQuery', () => {
  it.each([
    [{}, 50],
    [{ limit: '1' }, 1],
    [{ limit: '200' }, 200],
  ])('reads %j as a limit of %d', (query, limit) => {
    expect(listExportsQuery.parse(query)).toEqual({ limit });
  });

  it.each(['0x10', '1e1', ' 16', '16.0', '+16', '016', '0', '201', '-1', '', 'ten', '١٦'])(
    'refuses limit=%j with a sentence saying what to send',
    (limit) => {
      const result = listExportsQuery.safeParse({ limit });
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.message).toMatch(/^limit must be a whole number from 1 to 200/);
    },
  );
});
