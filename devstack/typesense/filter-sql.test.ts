import { describe, expect, it } from 'vitest';
import { TypesenseError } from './errors';
import { parseFilter } from './filter-parser';
import { filterToSql } from './filter-sql';
import { normalizeCollection } from './schema';
import { SqlParams } from './sql-params';

const schema = normalizeCollection({
  name: 'posts',
  fields: [
    { name: 'hs_object_id', type: 'int64' },
    { name: 'rank', type: 'int32' },
    { name: 'score', type: 'float' },
    { name: 'archived', type: 'bool' },
    { name: 'state', type: 'string' },
    { name: 'tags', type: 'string[]', optional: true },
    { name: 'html', type: 'string', index: false },
  ],
});

function compile(filter: string): { sql: string; values: unknown[] } {
  const node = parseFilter(filter);
  if (!node) throw new Error('empty');
  const params = new SqlParams();
  return { sql: filterToSql(node, schema, params), values: params.values };
}

function errorOf(filter: string): { status: number; message: string } {
  try {
    compile(filter);
  } catch (error) {
    if (error instanceof TypesenseError) return { status: error.status, message: error.message };
    throw error;
  }
  throw new Error('expected an error');
}

describe('filterToSql', () => {
  it('uses the indexed expression and bind parameters for numbers', () => {
    expect(compile('hs_object_id:>42')).toEqual({
      sql: "(((attrs->>'hs_object_id')::bigint) > $1::bigint)",
      values: ['42'],
    });
    expect(compile('score:[1.5..2]').sql).toBe(
      "(((attrs->>'score')::double precision) between $1::double precision and $2::double precision)",
    );
  });

  it('never inlines a value, whatever it contains', () => {
    const { sql, values } = compile("state:=`x'); drop table users; --`");
    expect(sql).not.toContain('drop table');
    expect(values).toEqual([["x'); drop table users; --"]]);
  });

  it('makes a negation match documents missing the field', () => {
    expect(compile('state:!=DRAFT').sql).toBe("(not coalesce(lower((attrs->>'state')) = any($1::text[]), false))");
  });

  it('matches any element of an array field', () => {
    expect(compile('tags:=[seo,crm]').sql).toContain(
      "jsonb_array_elements_text(case when jsonb_typeof(attrs->'tags') = 'array'",
    );
  });

  it('keeps precedence and parentheses', () => {
    const sql = compile('rank:1 || rank:2 && archived:false').sql;
    expect(sql.startsWith('(((')).toBe(true);
    expect(sql).toMatch(/^\(\(.* or .*\) and .*\)$/);
  });

  it('answers type and field errors like Typesense', () => {
    expect(errorOf('nope:=1')).toEqual({
      status: 404,
      message: 'Could not find a filter field named `nope` in the schema.',
    });
    expect(errorOf('html:=x')).toEqual({
      status: 404,
      message: 'Could not find a filter field named `html` in the schema.',
    });
    expect(errorOf('hs_object_id:>abc')).toEqual({
      status: 400,
      message: 'Error with filter field `hs_object_id`: Not an int64.',
    });
    expect(errorOf('rank:=3000000000')).toEqual({
      status: 400,
      message: 'Error with filter field `rank`: Not an int32.',
    });
    expect(errorOf('score:>1.2.3')).toEqual({ status: 400, message: 'Error with filter field `score`: Not a float.' });
    expect(errorOf('archived:yes')).toEqual({
      status: 400,
      message: 'Value of filter field `archived` must be `true` or `false`.',
    });
    expect(errorOf('id:!=5')).toEqual({
      status: 400,
      message: 'Not equals filtering is not supported on the `id` field.',
    });
  });
});
