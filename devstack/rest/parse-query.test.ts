import { describe, expect, it } from 'vitest';
import { RestError } from './errors';
import {
  parseColumnList,
  parseField,
  parseList,
  parseLogicTree,
  parseOrder,
  parseQuery,
  parseSelect,
  splitTopLevel,
} from './parse-query';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof RestError) return error.body.code;
    throw error;
  }
  return undefined;
}

describe('splitTopLevel', () => {
  it('splits on commas outside parentheses and quotes', () => {
    expect(splitTopLevel('a.eq.1,or(b.eq.2,c.eq.3),d.eq."x,y"')).toEqual(['a.eq.1', 'or(b.eq.2,c.eq.3)', 'd.eq."x,y"']);
    expect(splitTopLevel('a.eq."say \\"hi\\", ok"')).toEqual(['a.eq."say \\"hi\\", ok"']);
  });

  it('refuses unbalanced input', () => {
    expect(splitTopLevel('or(a.eq.1')).toBeNull();
    expect(splitTopLevel('a)')).toBeNull();
    expect(splitTopLevel('"open')).toBeNull();
  });
});

describe('parseField', () => {
  it('reads plain, quoted and json-path fields', () => {
    expect(parseField('status')).toEqual({ name: 'status', path: [] });
    expect(parseField('"my col"')).toEqual({ name: 'my col', path: [] });
    expect(parseField('meta->size->>w')).toEqual({
      name: 'meta',
      path: [
        { arrow: '->', key: 'size' },
        { arrow: '->>', key: 'w' },
      ],
    });
    expect(parseField('rel.col')).toBeNull();
    expect(parseField('')).toBeNull();
  });
});

describe('parseSelect', () => {
  it('reads columns, star, aliases and casts', () => {
    expect(parseSelect('id, name:title,score::text,*')).toEqual([
      { kind: 'field', field: { name: 'id', path: [] }, alias: undefined, cast: undefined },
      { kind: 'field', field: { name: 'title', path: [] }, alias: 'name', cast: undefined },
      { kind: 'field', field: { name: 'score', path: [] }, alias: undefined, cast: 'text' },
      { kind: 'star' },
    ]);
    expect(parseSelect('')).toEqual([{ kind: 'star' }]);
  });

  it('refuses embeds, spreads and unsafe casts with PGRST100', () => {
    expect(code(() => parseSelect('id,owner(*)'))).toBe('PGRST100');
    expect(code(() => parseSelect('...owner(name)'))).toBe('PGRST100');
    expect(code(() => parseSelect('id::text;drop table x'))).toBe('PGRST100');
  });
});

describe('filters', () => {
  const parse = (qs: string) => parseQuery(new URLSearchParams(qs)).where;

  it('reads operators, negation, quantifiers and lists', () => {
    expect(parse('id=eq.5&status=not.in.(a,"b,c")&deleted_at=is.NULL&title=like(any).{a*,b*}')).toEqual([
      { kind: 'filter', field: { name: 'id', path: [] }, negated: false, op: 'eq', quantifier: undefined, value: '5' },
      { kind: 'filter', field: { name: 'status', path: [] }, negated: true, op: 'in', values: ['a', 'b,c'] },
      { kind: 'filter', field: { name: 'deleted_at', path: [] }, negated: false, op: 'is', value: 'null' },
      {
        kind: 'filter',
        field: { name: 'title', path: [] },
        negated: false,
        op: 'like',
        quantifier: 'any',
        value: '{a*,b*}',
      },
    ]);
  });

  it('keeps top-level values verbatim, dots and quotes included', () => {
    expect(parse('created_at=gte.2025-01-01T00:00:00.5Z&name=eq."q"')).toMatchObject([
      { value: '2025-01-01T00:00:00.5Z' },
      { value: '"q"' },
    ]);
  });

  it('reads nested logic trees and unquotes values inside them', () => {
    expect(parseLogicTree('or', false, '(a.eq.1,and(b.gt.2,c.not.is.null),d.eq."x,y",e.in.(1,2))', 'or')).toEqual({
      kind: 'logic',
      op: 'or',
      negated: false,
      children: [
        { kind: 'filter', field: { name: 'a', path: [] }, negated: false, op: 'eq', quantifier: undefined, value: '1' },
        {
          kind: 'logic',
          op: 'and',
          negated: false,
          children: [
            {
              kind: 'filter',
              field: { name: 'b', path: [] },
              negated: false,
              op: 'gt',
              quantifier: undefined,
              value: '2',
            },
            { kind: 'filter', field: { name: 'c', path: [] }, negated: true, op: 'is', value: 'null' },
          ],
        },
        {
          kind: 'filter',
          field: { name: 'd', path: [] },
          negated: false,
          op: 'eq',
          quantifier: undefined,
          value: 'x,y',
        },
        { kind: 'filter', field: { name: 'e', path: [] }, negated: false, op: 'in', values: ['1', '2'] },
      ],
    });
    expect(parse('not.and=(a.eq.1,b.eq.2)')).toMatchObject([{ kind: 'logic', op: 'and', negated: true }]);
  });

  it('answers PGRST100 for malformed filters', () => {
    for (const qs of [
      'id=eqq.1',
      'id=eq',
      'id=in.1,2',
      'id=in.(1',
      'id=is.maybe',
      'id=in(any).(1)',
      'or=(a.eq.1',
      'or=a.eq.1',
      'or=(a)',
      'or=()',
      'rel.id=eq.1',
    ]) {
      expect(
        code(() => parseQuery(new URLSearchParams(qs))),
        qs,
      ).toBe('PGRST100');
    }
  });
});

describe('order, limit, offset, columns', () => {
  it('reads order terms', () => {
    expect(parseOrder('created_at.desc.nullslast,id,score.asc.nullsfirst')).toEqual([
      { field: { name: 'created_at', path: [] }, direction: 'desc', nulls: 'last' },
      { field: { name: 'id', path: [] }, direction: 'asc', nulls: undefined },
      { field: { name: 'score', path: [] }, direction: 'asc', nulls: 'first' },
    ]);
    expect(code(() => parseOrder('id.sideways'))).toBe('PGRST100');
  });

  it('reads limit/offset and rejects non-integers', () => {
    expect(parseQuery(new URLSearchParams('limit=10&offset=20'))).toMatchObject({ limit: 10, offset: 20 });
    expect(code(() => parseQuery(new URLSearchParams('limit=-1')))).toBe('PGRST100');
    expect(code(() => parseQuery(new URLSearchParams('offset=1.5')))).toBe('PGRST100');
  });

  it('reads quoted column lists as postgrest-js sends them', () => {
    expect(parseColumnList('columns', '"id","status"')).toEqual(['id', 'status']);
    expect(parseQuery(new URLSearchParams('on_conflict=ref'))).toMatchObject({ onConflict: ['ref'] });
    expect(parseList('()')).toEqual([]);
  });

  it('skips RPC argument names when reading filters', () => {
    expect(parseQuery(new URLSearchParams('p_ids={1,2}&status=eq.x'), new Set(['p_ids'])).where).toHaveLength(1);
  });
});
