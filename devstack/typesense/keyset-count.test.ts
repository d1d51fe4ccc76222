import { describe, expect, it } from 'vitest';
import { parseFilter } from './filter-parser';
import { countMatching, splitKeyset } from './keyset-count';
import { normalizeCollection } from './schema';

const schema = normalizeCollection({
  name: 'c',
  fields: [
    { name: 'hs_object_id', type: 'int64' },
    { name: 'portal_id', type: 'int64' },
    { name: 'score', type: 'float' },
    { name: 'ids', type: 'int64[]' },
  ],
});

describe('splitKeyset', () => {
  it('finds the key condition of `F && key:>N` in either position', () => {
    const a = splitKeyset(parseFilter('portal_id:=1 && hs_object_id:>42'), schema);
    expect(a?.key).toEqual({ field: 'hs_object_id', comparator: 'gt', value: 42n });
    expect(a?.rest).toMatchObject({ kind: 'cond', field: 'portal_id' });
    expect(splitKeyset(parseFilter('hs_object_id:<=7 && portal_id:=1'), schema)?.key.comparator).toBe('lte');
    expect(splitKeyset(parseFilter('hs_object_id:>=7'), schema)?.rest).toBeUndefined();
  });

  it('peels the cursor off the filter a scoped key makes: (request) && (mandatory)', () => {
    const split = splitKeyset(
      parseFilter('((state:=DRAFT) && hs_object_id:<=900 && hs_object_id:>42) && (portal_id:=1)'),
      schema,
    );
    expect(split?.key).toEqual({ field: 'hs_object_id', comparator: 'gt', value: 42n });
    // The rest is the lane's fixed part: the same for every page, so its keys are read once.
    expect(split?.rest).toEqual(parseFilter('state:=DRAFT && hs_object_id:<=900 && portal_id:=1'));
  });

  it('leaves anything else to SQL', () => {
    expect(splitKeyset(parseFilter('portal_id:=1 || hs_object_id:>42'), schema)).toBeUndefined();
    expect(splitKeyset(parseFilter('portal_id:=1 && score:>4'), schema)).toBeUndefined();
    expect(splitKeyset(parseFilter('portal_id:=1 && ids:>4'), schema)).toBeUndefined();
    expect(splitKeyset(parseFilter('portal_id:=1 && hs_object_id:[1..4]'), schema)).toBeUndefined();
    expect(splitKeyset(parseFilter('portal_id:=1 && hs_object_id:>x'), schema)).toBeUndefined();
  });
});

describe('countMatching', () => {
  const keys = BigInt64Array.from([1n, 3n, 3n, 5n, 9n]);
  it('counts each comparator exactly, duplicates included', () => {
    expect(countMatching(keys, { field: 'k', comparator: 'gt', value: 3n })).toBe(2);
    expect(countMatching(keys, { field: 'k', comparator: 'gte', value: 3n })).toBe(4);
    expect(countMatching(keys, { field: 'k', comparator: 'lt', value: 3n })).toBe(1);
    expect(countMatching(keys, { field: 'k', comparator: 'lte', value: 3n })).toBe(3);
    expect(countMatching(keys, { field: 'k', comparator: 'gt', value: 9n })).toBe(0);
    expect(countMatching(keys, { field: 'k', comparator: 'gt', value: -100n })).toBe(5);
  });
});
