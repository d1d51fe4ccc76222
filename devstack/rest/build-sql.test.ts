import { describe, expect, it } from 'vitest';
import { buildDelete, buildInsert, buildTableRead, buildUpdate } from './build-sql';
import { RestError } from './errors';
import { quoteIdent } from './sql';
import { parseQuery } from './parse-query';
import type { Column, Relation } from './schema-cache';

const col = (name: string, type: string, castType = type, defaultSql: string | null = null): Column => ({
  name,
  type,
  castType,
  defaultSql,
});

const jobs: Relation = {
  name: 'export_jobs',
  primaryKey: ['id'],
  columns: new Map(
    [
      col('id', 'uuid', 'uuid', 'gen_random_uuid()'),
      col('status', 'text', 'text', "'queued'::text"),
      col('code', 'character(3)', 'bpchar'),
      col('meta', 'jsonb'),
      col('created_at', 'timestamp with time zone'),
      col('odd name', 'text'),
    ].map((c) => [c.name, c]),
  ),
};

const q = (qs: string) => parseQuery(new URLSearchParams(qs));
const errorCode = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return error instanceof RestError ? error.body.code : 'not a RestError';
  }
  return undefined;
};

describe('buildTableRead', () => {
  it('binds every value, casts it to the column type and quotes identifiers', () => {
    const built = buildTableRead(jobs, {
      query: q(
        'select=id,status&status=in.(queued,running)&code=eq.abc&created_at=gte.2025-01-01&order=created_at.desc.nullslast&limit=10&offset=0',
      ),
      count: true,
      shape: 'array',
      stripNulls: false,
    });
    expect(built.params).toEqual([['queued', 'running'], 'abc', '2025-01-01', 10, 0]);
    expect(built.sql).toContain('_t."status" = ANY($1::text[])');
    // bpchar, not character(1): a filter value is never truncated by the cast.
    expect(built.sql).toContain('_t."code" = $2::bpchar');
    expect(built.sql).toContain('_t."created_at" >= $3::timestamp with time zone');
    expect(built.sql).toContain('ORDER BY _t."created_at" DESC NULLS LAST LIMIT $4::bigint OFFSET $5::bigint');
    expect(built.sql).toContain('(SELECT count(*) FROM pgrst_source AS _t WHERE');
    expect(built.sql).toContain(`coalesce(json_agg(pgrst_page), '[]'::json)::text`);
    expect(built.sql).not.toContain('queued');
  });

  it('quotes odd identifiers and binds json path keys', () => {
    const built = buildTableRead(jobs, {
      query: q('select=c:meta->>color,"odd name"&meta->a->>b=eq.x'),
      count: false,
      shape: 'object',
      stripNulls: true,
    });
    expect(built.sql).toContain('(_t."meta"->>$1::text) AS "c", _t."odd name" AS "odd name"');
    expect(built.sql).toContain('(_t."meta"->$2::text->>$3::text) = $4::text');
    expect(built.params).toEqual(['color', 'a', 'b', 'x']);
    expect(built.sql).toContain('json_strip_nulls((json_agg(pgrst_page)->0))::text');
    expect(built.sql).toContain('null::bigint AS total');
  });

  it('doubles quotes inside identifiers', () => {
    expect(quoteIdent('we"ird')).toBe('"we""ird"');
  });

  it('answers 42703 for unknown columns anywhere in the query', () => {
    for (const qs of ['nope=eq.1', 'select=nope', 'order=nope', 'or=(id.eq.1,nope.eq.2)']) {
      expect(
        errorCode(() => buildTableRead(jobs, { query: q(qs), count: false, shape: 'array', stripNulls: false })),
        qs,
      ).toBe('42703');
    }
  });
});

describe('writes', () => {
  const base = { relation: jobs, returnRows: true, shape: 'array' as const, stripNulls: false };

  it('inserts through json_to_record with the column types, upserting on the key', () => {
    const built = buildInsert({
      ...base,
      query: q('on_conflict=id&select=id'),
      bodyText: '{"id":"x","status":"queued"}',
      columns: ['id', 'status'],
      resolution: 'merge-duplicates',
      missingDefault: false,
    });
    expect(built.params).toEqual(['{"id":"x","status":"queued"}']);
    expect(built.sql).toContain(
      'INSERT INTO "public"."export_jobs" AS _t ("id", "status") SELECT _r."id", _r."status"',
    );
    expect(built.sql).toContain('json_to_record(_e.j) AS _r("id" uuid, "status" text)');
    expect(built.sql).toContain('ON CONFLICT ("id") DO UPDATE SET "id" = EXCLUDED."id", "status" = EXCLUDED."status"');
    expect(built.sql).toContain('RETURNING _t.*');
  });

  it('fills absent keys from the catalog default with missing=default', () => {
    const built = buildInsert({
      ...base,
      query: q(''),
      bodyText: '[]',
      columns: ['status'],
      resolution: undefined,
      missingDefault: true,
    });
    expect(built.sql).toContain(
      `CASE WHEN json_extract_path(_e.j, $2::text) IS NULL THEN 'queued'::text ELSE _r."status" END`,
    );
    expect(built.params).toEqual(['[]', 'status']);
  });

  it('returns nothing but a count when no representation is asked', () => {
    const built = buildDelete({ ...base, returnRows: false, query: q('id=eq.1') });
    expect(built.sql).toContain('DELETE FROM "public"."export_jobs" AS _t WHERE (_t."id" = $1::uuid) RETURNING 1');
    expect(built.sql).toContain('null::text AS body');
  });

  it('updates only the payload columns of the filtered rows', () => {
    const built = buildUpdate({
      ...base,
      query: q('status=eq.queued'),
      bodyText: '{"status":"done"}',
      columns: ['status'],
    });
    expect(built.sql).toContain(
      'UPDATE "public"."export_jobs" AS _t SET "status" = _r."status" FROM json_to_record($1::json) AS _r("status" text) WHERE (_t."status" = $2::text)',
    );
  });

  it('answers PGRST204 for unknown payload columns', () => {
    expect(errorCode(() => buildUpdate({ ...base, query: q(''), bodyText: '{}', columns: ['nope'] }))).toBe('PGRST204');
    expect(
      errorCode(() =>
        buildInsert({
          ...base,
          query: q(''),
          bodyText: '{}',
          columns: ['nope'],
          resolution: undefined,
          missingDefault: false,
        }),
      ),
    ).toBe('PGRST204');
  });
});
