import { undefinedColumn } from './errors';
import type { Condition, Field, Filter, OrderTerm, SelectItem } from './parse-query';
import type { Column } from './schema-cache';
import { quoteIdent, type SqlParams } from './sql';

/**
 * Turns the parsed select / filters / order into SQL fragments over one row source aliased `_t`.
 * Every column name is checked against the catalog columns of that source; every value is a bound
 * parameter cast to the column's type (`$1::uuid`), so uuid, integers, timestamptz, enums and jsonb
 * compare exactly as they would in PostgREST.
 */

export type Target = {
  /** Relation name used in error messages (`column <name>.<col> does not exist`). */
  name: string;
  columns: ReadonlyMap<string, Column>;
};

export const ROW_ALIAS = '_t';

type CompiledField = { sql: string; castType: string; outputName: string };

function compileField(field: Field, target: Target, params: SqlParams): CompiledField {
  const column = target.columns.get(field.name);
  if (!column) throw undefinedColumn(target.name, field.name);
  let sql = `${ROW_ALIAS}.${quoteIdent(column.name)}`;
  for (const step of field.path) {
    const key = /^-?\d+$/.test(step.key) ? `${params.add(step.key)}::int` : `${params.add(step.key)}::text`;
    sql = `${sql}${step.arrow}${key}`;
  }
  const last = field.path.at(-1);
  if (!last) return { sql, castType: column.castType, outputName: column.name };
  // `->` yields json(b): compare as jsonb (json has no equality operator); `->>` yields text.
  return last.arrow === '->>'
    ? { sql: `(${sql})`, castType: 'text', outputName: last.key }
    : { sql: `(${sql})::jsonb`, castType: 'jsonb', outputName: last.key };
}

export function compileSelect(items: SelectItem[], target: Target, params: SqlParams): string {
  return items
    .map((item) => {
      if (item.kind === 'star') return `${ROW_ALIAS}.*`;
      const field = compileField(item.field, target, params);
      const expr = item.cast ? `(${field.sql})::${item.cast}` : field.sql;
      return `${expr} AS ${quoteIdent(item.alias ?? field.outputName)}`;
    })
    .join(', ');
}

const comparison: Record<string, string> = {
  eq: '=',
  neq: '<>',
  gt: '>',
  gte: '>=',
  lt: '<',
  lte: '<=',
  like: 'LIKE',
  ilike: 'ILIKE',
  match: '~',
  imatch: '~*',
  cs: '@>',
  cd: '<@',
  ov: '&&',
};

const isSql = {
  null: 'IS NULL',
  not_null: 'IS NOT NULL',
  true: 'IS TRUE',
  false: 'IS FALSE',
  unknown: 'IS UNKNOWN',
} as const;

function compileFilter(filter: Filter, target: Target, params: SqlParams): string {
  const field = compileField(filter.field, target, params);
  let sql: string;
  if (filter.op === 'in') {
    sql = `${field.sql} = ANY(${params.add(filter.values)}::${field.castType}[])`;
  } else if (filter.op === 'is') {
    sql = `${field.sql} ${isSql[filter.value]}`;
  } else if (filter.op === 'isdistinct') {
    sql = `${field.sql} IS DISTINCT FROM ${params.add(filter.value)}::${field.castType}`;
  } else {
    const textual = filter.op === 'like' || filter.op === 'ilike' || filter.op === 'match' || filter.op === 'imatch';
    // PostgREST lets `*` stand for `%` in like patterns, since `%` is awkward in URLs.
    const value = filter.op === 'like' || filter.op === 'ilike' ? filter.value.replaceAll('*', '%') : filter.value;
    const type = textual ? 'text' : field.castType;
    const operator = comparison[filter.op] ?? '=';
    sql = filter.quantifier
      ? `${field.sql} ${operator} ${filter.quantifier.toUpperCase()}(${params.add(value)}::${type}[])`
      : `${field.sql} ${operator} ${params.add(value)}::${type}`;
  }
  return filter.negated ? `NOT (${sql})` : sql;
}

function compileCondition(condition: Condition, target: Target, params: SqlParams): string {
  if (condition.kind === 'filter') return compileFilter(condition, target, params);
  const joined = condition.children
    .map((child) => compileCondition(child, target, params))
    .join(condition.op === 'and' ? ' AND ' : ' OR ');
  return condition.negated ? `NOT (${joined})` : `(${joined})`;
}

/** The conditions ANDed, or `true` when there are none. */
export function compileWhere(conditions: Condition[], target: Target, params: SqlParams): string {
  if (conditions.length === 0) return 'true';
  return conditions.map((c) => `(${compileCondition(c, target, params)})`).join(' AND ');
}

export function compileOrder(terms: OrderTerm[], target: Target, params: SqlParams): string {
  if (terms.length === 0) return '';
  const list = terms.map((term) => {
    const field = compileField(term.field, target, params);
    const nulls = term.nulls ? ` NULLS ${term.nulls.toUpperCase()}` : '';
    return `${field.sql} ${term.direction.toUpperCase()}${nulls}`;
  });
  return ` ORDER BY ${list.join(', ')}`;
}
