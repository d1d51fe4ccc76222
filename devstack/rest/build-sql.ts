import { ROW_ALIAS, compileOrder, compileSelect, compileWhere, type Target } from './compile-query';
import { columnNotFound, undefinedColumn } from './errors';
import type { ParsedQuery, SelectItem } from './parse-query';
import type { Relation } from './schema-cache';
import { SqlParams, quoteIdent, type BuiltQuery } from './sql';

/**
 * The statements for table reads and writes, shaped like PostgREST's: one statement per request whose
 * single result row carries the count, the page size and the JSON body built by Postgres itself
 * (`json_agg`), so numbers, timestamps and json come out exactly as PostgREST renders them.
 */

export type BodyShape = 'array' | 'object' | 'none';

function bodyExpr(shape: BodyShape, stripNulls: boolean): string {
  if (shape === 'none') return 'null::text';
  const json = shape === 'object' ? `(json_agg(pgrst_page)->0)` : `coalesce(json_agg(pgrst_page), '[]'::json)`;
  return `${stripNulls ? `json_strip_nulls(${json})` : json}::text`;
}

export function tableName(relation: Relation): string {
  return `${quoteIdent('public')}.${quoteIdent(relation.name)}`;
}

export type ReadOptions = {
  /** A SELECT producing the rows to read from; for tables `SELECT * FROM "public"."t"`. */
  sourceSql: string;
  /**
   * Tables are inlined into the count and the page; function results are materialized so a
   * function runs once per request.
   */
  materialize: boolean;
  target: Target;
  query: ParsedQuery;
  count: boolean;
  shape: BodyShape;
  stripNulls: boolean;
  params?: SqlParams;
};

export function buildRead(options: ReadOptions): BuiltQuery {
  const params = options.params ?? new SqlParams();
  const { target, query } = options;
  const select = compileSelect(query.select, target, params);
  const where = compileWhere(query.where, target, params);
  const order = compileOrder(query.order, target, params);
  const limit = query.limit === undefined ? '' : ` LIMIT ${params.add(query.limit)}::bigint`;
  const offset = query.offset === undefined ? '' : ` OFFSET ${params.add(query.offset)}::bigint`;
  const total = options.count ? `(SELECT count(*) FROM pgrst_source AS ${ROW_ALIAS} WHERE ${where})` : 'null::bigint';
  const sql =
    `WITH pgrst_source AS ${options.materialize ? 'MATERIALIZED' : 'NOT MATERIALIZED'} (${options.sourceSql}) ` +
    `SELECT ${total} AS total, count(*) AS page_total, ${bodyExpr(options.shape, options.stripNulls)} AS body ` +
    `FROM (SELECT ${select} FROM pgrst_source AS ${ROW_ALIAS} WHERE ${where}${order}${limit}${offset}) AS pgrst_page`;
  return { sql, params: params.values };
}

export function buildTableRead(
  relation: Relation,
  options: Omit<ReadOptions, 'sourceSql' | 'materialize' | 'target'>,
): BuiltQuery {
  return buildRead({
    ...options,
    sourceSql: `SELECT * FROM ${tableName(relation)}`,
    materialize: false,
    target: { name: relation.name, columns: relation.columns },
  });
}

export type WriteOptions = {
  relation: Relation;
  query: ParsedQuery;
  /** Representation requested: RETURNING the rows (which needs SELECT rights and policies, as in PostgREST). */
  returnRows: boolean;
  shape: BodyShape;
  stripNulls: boolean;
};

/** `RETURNING …` then the outer select that counts and renders what the write returned. */
function finishWrite(options: WriteOptions, params: SqlParams, writeSql: string): BuiltQuery {
  const target: Target = { name: options.relation.name, columns: options.relation.columns };
  const select: SelectItem[] = options.returnRows ? options.query.select : [];
  const list = select.length > 0 ? compileSelect(select, target, params) : '1';
  const shape = options.returnRows ? options.shape : 'none';
  const sql =
    `WITH pgrst_source AS (${writeSql} RETURNING ${options.returnRows ? `${ROW_ALIAS}.*` : '1'}) ` +
    `SELECT null::bigint AS total, count(*) AS page_total, ${bodyExpr(shape, options.stripNulls)} AS body ` +
    `FROM (SELECT ${list} FROM pgrst_source AS ${ROW_ALIAS}) AS pgrst_page`;
  return { sql, params: params.values };
}

function checkWriteColumns(relation: Relation, names: Iterable<string>): void {
  for (const name of names) if (!relation.columns.has(name)) throw columnNotFound(relation.name, name);
}

export type InsertOptions = WriteOptions & {
  /** The raw JSON body (object or array of objects), bound as one parameter so numbers keep full precision. */
  bodyText: string;
  /** Columns to insert: the `columns` parameter, else the keys of the payload. */
  columns: string[];
  resolution: 'merge-duplicates' | 'ignore-duplicates' | undefined;
  /** `Prefer: missing=default`: keys absent from an object take the column default instead of NULL. */
  missingDefault: boolean;
};

export function buildInsert(options: InsertOptions): BuiltQuery {
  const { relation, columns } = options;
  checkWriteColumns(relation, columns);
  const params = new SqlParams();
  const body = params.add(options.bodyText);
  // A single object is treated as a one-element array.
  const payload = `(SELECT CASE WHEN json_typeof(${body}::json) = 'array' THEN ${body}::json ELSE json_build_array(${body}::json) END AS body) AS pgrst_payload`;
  const table = `${tableName(relation)} AS ${ROW_ALIAS}`;
  let insert: string;
  if (columns.length === 0) {
    // `{}` or objects without keys: one all-defaults row per element.
    insert = `INSERT INTO ${table} SELECT FROM ${payload}, LATERAL json_array_elements(pgrst_payload.body)`;
  } else {
    const defs = columns.map((name) => `${quoteIdent(name)} ${relation.columns.get(name)?.type ?? 'text'}`).join(', ');
    const values = columns.map((name) => {
      const value = `_r.${quoteIdent(name)}`;
      if (!options.missingDefault) return value;
      const fallback = relation.columns.get(name)?.defaultSql ?? 'NULL';
      // json_extract_path is SQL NULL only for an absent key (an explicit null is the json `null`).
      return `CASE WHEN json_extract_path(_e.j, ${params.add(name)}::text) IS NULL THEN ${fallback} ELSE ${value} END`;
    });
    const list = columns.map(quoteIdent).join(', ');
    insert =
      `INSERT INTO ${table} (${list}) SELECT ${values.join(', ')} ` +
      `FROM ${payload}, LATERAL json_array_elements(pgrst_payload.body) WITH ORDINALITY AS _e(j, n), ` +
      `LATERAL json_to_record(_e.j) AS _r(${defs}) ORDER BY _e.n`;
  }
  if (options.resolution) {
    const conflict = options.query.onConflict ?? relation.primaryKey;
    for (const name of conflict) if (!relation.columns.has(name)) throw undefinedColumn(relation.name, name);
    const target = conflict.length > 0 ? ` (${conflict.map(quoteIdent).join(', ')})` : '';
    if (options.resolution === 'ignore-duplicates' || columns.length === 0) {
      insert += ` ON CONFLICT${target} DO NOTHING`;
    } else if (target) {
      insert += ` ON CONFLICT${target} DO UPDATE SET ${columns.map((c) => `${quoteIdent(c)} = EXCLUDED.${quoteIdent(c)}`).join(', ')}`;
    }
  }
  return finishWrite(options, params, insert);
}

export type UpdateOptions = WriteOptions & { bodyText: string; columns: string[] };

export function buildUpdate(options: UpdateOptions): BuiltQuery {
  const { relation, columns } = options;
  checkWriteColumns(relation, columns);
  const params = new SqlParams();
  const target: Target = { name: relation.name, columns: relation.columns };
  const body = params.add(options.bodyText);
  const where = compileWhere(options.query.where, target, params);
  const defs = columns.map((name) => `${quoteIdent(name)} ${relation.columns.get(name)?.type ?? 'text'}`).join(', ');
  const sets = columns.map((name) => `${quoteIdent(name)} = _r.${quoteIdent(name)}`).join(', ');
  const update = `UPDATE ${tableName(relation)} AS ${ROW_ALIAS} SET ${sets} FROM json_to_record(${body}::json) AS _r(${defs}) WHERE ${where}`;
  return finishWrite(options, params, update);
}

export function buildDelete(options: WriteOptions): BuiltQuery {
  const params = new SqlParams();
  const target: Target = { name: options.relation.name, columns: options.relation.columns };
  const where = compileWhere(options.query.where, target, params);
  return finishWrite(options, params, `DELETE FROM ${tableName(options.relation)} AS ${ROW_ALIAS} WHERE ${where}`);
}
