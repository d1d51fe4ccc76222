import { TypesenseError } from './errors';
import type { FilterCondition, FilterNode, FilterValue } from './filter-parser';
import {
  baseType,
  fieldLiteral,
  findScalarField,
  isArrayType,
  scalarExpr,
  type CollectionSchema,
  type ScalarField,
} from './schema';
import type { SqlParams } from './sql-params';

/**
 * filter_by AST → a parameterised SQL boolean over the `attrs` jsonb column (the indexed fields; see
 * store.ts). Values are always bind parameters; field names come only from the collection schema (checked
 * against FIELD_NAME_PATTERN) and are inlined as literals because an expression index only matches the
 * identical expression.
 *
 * Semantics chosen to match Typesense:
 * - a document without the field matches no positive condition, and DOES match `!=` / `![…]`
 *   (Typesense computes "not equals" as all ids minus the matching ids);
 * - an array field matches when any element matches;
 * - string matching is case-insensitive (Typesense lower-cases indexed tokens); `field:=v` is whole-value
 *   equality, `field:v` is a token match: `v` must appear as whole word(s) in the value.
 */
export function filterToSql(node: FilterNode, schema: CollectionSchema, params: SqlParams): string {
  if (node.kind === 'cond') return conditionToSql(node, schema, params);
  return `(${filterToSql(node.left, schema, params)} ${node.kind} ${filterToSql(node.right, schema, params)})`;
}

const INT32_MIN = -(2n ** 31n);
const INT32_MAX = 2n ** 31n - 1n;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function numericValue(field: ScalarField, text: string): string {
  const base = baseType(field.type);
  const value = text.trim();
  if (base === 'float') {
    if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(value) || !Number.isFinite(Number(value))) {
      throw new TypesenseError(400, `Error with filter field \`${field.name}\`: Not a float.`);
    }
    return value;
  }
  const [min, max, label] = base === 'int32' ? [INT32_MIN, INT32_MAX, 'int32'] : [INT64_MIN, INT64_MAX, 'int64'];
  if (!/^[-+]?\d+$/.test(value) || BigInt(value) < min || BigInt(value) > max) {
    throw new TypesenseError(400, `Error with filter field \`${field.name}\`: Not an ${label}.`);
  }
  return value;
}

function numericItem(field: ScalarField, item: FilterValue, expr: string, params: SqlParams): string {
  const cast = baseType(field.type) === 'float' ? 'double precision' : 'bigint';
  const p = (v: string) => `${params.add(numericValue(field, v))}::${cast}`;
  switch (item.comparator) {
    case 'eq':
      return `${expr} = ${p(item.value)}`;
    case 'gt':
      return `${expr} > ${p(item.value)}`;
    case 'gte':
      return `${expr} >= ${p(item.value)}`;
    case 'lt':
      return `${expr} < ${p(item.value)}`;
    case 'lte':
      return `${expr} <= ${p(item.value)}`;
    case 'range':
      return `${expr} between ${p(item.value)} and ${p(item.upper ?? '')}`;
  }
}

/** Turns "any element/any value matches" into SQL for scalar or array fields. */
function anyOf(field: ScalarField, perValue: (expr: string) => string): string {
  if (!isArrayType(field.type)) return perValue(scalarExpr(field));
  const lit = fieldLiteral(field.name);
  const cast = { int32: '::bigint', int64: '::bigint', float: '::double precision', bool: '::boolean', string: '' }[
    baseType(field.type)
  ];
  return (
    `exists (select 1 from jsonb_array_elements_text(case when jsonb_typeof(attrs->${lit}) = 'array' ` +
    `then attrs->${lit} else '[]'::jsonb end) as e(v) where ${perValue(`(e.v${cast})`)})`
  );
}

/** Escapes a value for a POSIX regex so it matches literally. */
function regexLiteral(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function conditionToSql(cond: FilterCondition, schema: CollectionSchema, params: SqlParams): string {
  if (cond.field === 'id') {
    if (cond.negate) throw new TypesenseError(400, 'Not equals filtering is not supported on the `id` field.');
    return `id = any(${params.add(cond.values.map((v) => v.raw))}::text[])`;
  }
  const field = findScalarField(schema, cond.field);
  if (!field || !field.index) {
    // Real Typesense answers 404 here (filter.cpp toFilter: Option<bool>(404, …)).
    throw new TypesenseError(404, `Could not find a filter field named \`${cond.field}\` in the schema.`);
  }
  let positive: string;
  const base = baseType(field.type);
  if (base === 'int32' || base === 'int64' || base === 'float') {
    positive = anyOf(field, (expr) => cond.values.map((item) => numericItem(field, item, expr, params)).join(' or '));
  } else if (base === 'bool') {
    const bools = cond.values.map((item) => {
      if (item.raw !== 'true' && item.raw !== 'false') {
        throw new TypesenseError(
          400,
          cond.list
            ? `Values of filter field \`${field.name}\`: must be \`true\` or \`false\`.`
            : `Value of filter field \`${field.name}\` must be \`true\` or \`false\`.`,
        );
      }
      return item.raw === 'true';
    });
    positive = anyOf(field, (expr) => `${expr} = any(${params.add(bools)}::boolean[])`);
  } else if (cond.exact) {
    const lowered = cond.values.map((v) => v.raw.toLowerCase());
    positive = anyOf(field, (expr) => `lower(${expr}) = any(${params.add(lowered)}::text[])`);
  } else {
    // Token match: the value must occur as whole word(s), bounded by non-word characters or the ends.
    const patterns = cond.values.map((v) => `(^|[^[:alnum:]_])${regexLiteral(v.raw)}($|[^[:alnum:]_])`);
    positive = anyOf(field, (expr) => `${expr} ~* any(${params.add(patterns)}::text[])`);
  }
  // A positive condition stays a bare predicate so Postgres can use the expression index for it; its NULL
  // (field missing) acts as false under and/or in WHERE. Only a negation needs NULL made explicit.
  return cond.negate ? `(not coalesce(${positive}, false))` : `(${positive})`;
}
