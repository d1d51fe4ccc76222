import { TypesenseError } from './errors';
import { baseType, findScalarField, isArrayType, scalarExpr, type CollectionSchema } from './schema';

/** Typesense allows at most 3 sort fields (`collection.cpp`: "Only upto 3 sort_by fields can be specified."). */
const MAX_SORT_FIELDS = 3;

/**
 * `sort_by` → SQL ORDER BY items. Supports sortable scalar fields (numbers and bools by default, strings
 * with `sort: true`), `_seq_id` (insertion order) and `_text_match` (a no-op here: every hit scores the same).
 * Missing values sort as if largest (Postgres default), so both directions can walk the expression index
 * forwards or backwards. The caller appends the final tie-break `seq desc`.
 */
export function sortToSql(sortBy: string | undefined, schema: CollectionSchema): string[] {
  const items = (sortBy ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length > MAX_SORT_FIELDS) throw new TypesenseError(422, 'Only upto 3 sort_by fields can be specified.');
  if (items.length === 0) {
    const dsf = schema.default_sorting_field === '' ? undefined : findScalarField(schema, schema.default_sorting_field);
    return dsf ? [`${scalarExpr(dsf)} desc`] : [];
  }
  const order: string[] = [];
  for (const item of items) {
    const colon = item.lastIndexOf(':');
    const name = (colon >= 0 ? item.slice(0, colon) : item).trim();
    const direction = (colon >= 0 ? item.slice(colon + 1) : 'desc').trim().toLowerCase();
    if (direction !== 'asc' && direction !== 'desc') {
      throw new TypesenseError(400, `Order for field\` ${name}\` should be either ASC or DESC.`);
    }
    if (name === '_text_match') continue;
    if (name === '_seq_id') {
      order.push(`seq ${direction}`);
      continue;
    }
    const field = findScalarField(schema, name);
    const sortable = field !== undefined && field.sort && field.index && !isArrayType(field.type);
    if (!field || !sortable) {
      throw new TypesenseError(404, `Could not find a field named \`${name}\` in the schema for sorting.`);
    }
    // Strings compare byte-wise (collate "C"), not by the database's locale.
    const expr = baseType(field.type) === 'string' ? `${scalarExpr(field)} collate "C"` : scalarExpr(field);
    order.push(`${expr} ${direction}`);
  }
  return order;
}
