import { z } from 'zod';
import { TypesenseError } from './errors';

/**
 * Collection schemas: the subset of Typesense field types the exports need. Defaults follow
 * `field::json_field_to_field` (Typesense `src/field.cpp`): `facet` false, `index` true, `optional` false,
 * `sort` true for numbers and bools, false for strings.
 *
 * Scalar types can be filtered, sorted, faceted and searched. `object`, `object[]` (nested fields, which
 * need `enable_nested_fields`) and `auto` are stored and returned as they are; the devstack does not
 * flatten them into `a.b` sub-fields, so filtering, sorting or faceting on them is refused as an unknown
 * field, which is also what real Typesense answers for the parent object itself.
 */
const scalarFieldTypes = [
  'string',
  'int32',
  'int64',
  'float',
  'bool',
  'string[]',
  'int32[]',
  'int64[]',
  'float[]',
  'bool[]',
] as const;
const opaqueFieldTypes = ['object', 'object[]', 'auto'] as const;
const fieldTypes = [...scalarFieldTypes, ...opaqueFieldTypes] as const;
export type ScalarFieldType = (typeof scalarFieldTypes)[number];
type FieldType = (typeof fieldTypes)[number];

/**
 * Field names end up inside SQL as string literals (`attrs->>'name'`) so that expression indexes match;
 * this restricts them to a charset that can never break out of a literal (real Typesense allows more).
 */
const FIELD_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

const fieldInputSchema = z
  .object({
    name: z.string(),
    type: z.string(),
    facet: z.boolean().optional(),
    optional: z.boolean().optional(),
    index: z.boolean().optional(),
    sort: z.boolean().optional(),
    infix: z.boolean().optional(),
    locale: z.string().optional(),
  })
  .loose();

export const collectionInputSchema = z
  .object({
    name: z.string().min(1).max(200),
    fields: z.array(fieldInputSchema).min(1),
    default_sorting_field: z.string().optional(),
    enable_nested_fields: z.boolean().optional(),
    token_separators: z.array(z.string()).optional(),
    symbols_to_index: z.array(z.string()).optional(),
  })
  .loose();
export type CollectionInput = z.infer<typeof collectionInputSchema>;

export type FieldSchema = {
  name: string;
  type: FieldType;
  facet: boolean;
  optional: boolean;
  index: boolean;
  sort: boolean;
  infix: boolean;
  locale: string;
  stem: boolean;
  store: boolean;
};

/** A field whose values are strings, numbers or bools (or arrays of one of them). */
export type ScalarField = FieldSchema & { type: ScalarFieldType };

export type CollectionSchema = {
  name: string;
  fields: FieldSchema[];
  default_sorting_field: string;
  enable_nested_fields: boolean;
  token_separators: string[];
  symbols_to_index: string[];
};

function isFieldType(type: string): type is FieldType {
  return (fieldTypes as readonly string[]).includes(type);
}

export function isScalarField(field: FieldSchema): field is ScalarField {
  return (scalarFieldTypes as readonly string[]).includes(field.type);
}

export function isArrayType(type: ScalarFieldType): boolean {
  return type.endsWith('[]');
}

export function baseType(type: ScalarFieldType): 'string' | 'int32' | 'int64' | 'float' | 'bool' {
  return type.replace('[]', '') as 'string' | 'int32' | 'int64' | 'float' | 'bool';
}

export function isNumericType(type: ScalarFieldType): boolean {
  const base = baseType(type);
  return base === 'int32' || base === 'int64' || base === 'float';
}

/** Validates a create-collection body and fills in the defaults real Typesense fills in. */
export function normalizeCollection(input: CollectionInput): CollectionSchema {
  const seen = new Set<string>();
  const fields: FieldSchema[] = [];
  for (const f of input.fields) {
    // Real Typesense logs and ignores a field named `id` (field.cpp); `id` is always the document key.
    if (f.name === 'id') continue;
    if (!FIELD_NAME_PATTERN.test(f.name)) {
      throw new TypesenseError(
        400,
        `Field name \`${f.name}\` is not supported by the devstack: use letters, digits and _ (max 63).`,
      );
    }
    if (!isFieldType(f.type)) {
      throw new TypesenseError(
        400,
        `Field \`${f.name}\` has an invalid data type \`${f.type}\`, see docs for supported data types.`,
      );
    }
    if (seen.has(f.name)) throw new TypesenseError(400, `There are duplicate field names in the schema.`);
    seen.add(f.name);
    if ((f.type === 'object' || f.type === 'object[]') && input.enable_nested_fields !== true) {
      throw new TypesenseError(
        400,
        'Type `object` or `object[]` can be used only when nested fields are enabled by setting` enable_nested_fields` to true.',
      );
    }
    const scalar = (scalarFieldTypes as readonly string[]).includes(f.type) ? (f.type as ScalarFieldType) : undefined;
    const sortable = scalar !== undefined && (isNumericType(scalar) || baseType(scalar) === 'bool');
    const sort = f.sort ?? (sortable && !isArrayType(scalar));
    fields.push({
      name: f.name,
      type: f.type,
      facet: f.facet ?? false,
      optional: f.optional ?? false,
      index: f.index ?? true,
      sort,
      infix: f.infix ?? false,
      locale: f.locale ?? '',
      stem: false,
      store: true,
    });
  }
  const dsf = input.default_sorting_field ?? '';
  if (dsf !== '') {
    const field = fields.find((f) => f.name === dsf);
    if (!field)
      throw new TypesenseError(400, `Default sorting field is defined as \`${dsf}\` but is not found in the schema.`);
    if (!isScalarField(field) || !isNumericType(field.type) || isArrayType(field.type)) {
      throw new TypesenseError(400, `Default sorting field \`${dsf}\` is not a sortable type.`);
    }
    if (field.optional) throw new TypesenseError(400, `Default sorting field \`${dsf}\` cannot be an optional field.`);
  }
  return {
    name: input.name,
    fields,
    default_sorting_field: dsf,
    enable_nested_fields: input.enable_nested_fields ?? false,
    token_separators: input.token_separators ?? [],
    symbols_to_index: input.symbols_to_index ?? [],
  };
}

/** Typed read of a stored schema (the JSON column); stored schemas were normalised on create. */
export const storedSchema = z.object({
  name: z.string(),
  fields: z.array(
    z.object({
      name: z.string().regex(FIELD_NAME_PATTERN),
      type: z.enum(fieldTypes),
      facet: z.boolean(),
      optional: z.boolean(),
      index: z.boolean(),
      sort: z.boolean(),
      infix: z.boolean(),
      locale: z.string(),
      stem: z.boolean(),
      store: z.boolean(),
    }),
  ),
  default_sorting_field: z.string(),
  enable_nested_fields: z.boolean(),
  token_separators: z.array(z.string()),
  symbols_to_index: z.array(z.string()),
});

function findField(schema: CollectionSchema, name: string): FieldSchema | undefined {
  return schema.fields.find((f) => f.name === name);
}

/** A field that filters, sorts, facets and `query_by` can use; object and auto fields are not (see above). */
export function findScalarField(schema: CollectionSchema, name: string): ScalarField | undefined {
  const field = findField(schema, name);
  return field && isScalarField(field) ? field : undefined;
}

/** `'name'` as a SQL string literal; safe because names match FIELD_NAME_PATTERN (checked again here). */
export function fieldLiteral(name: string): string {
  if (!FIELD_NAME_PATTERN.test(name)) throw new Error(`unsafe field name ${JSON.stringify(name)}`);
  return `'${name}'`;
}

/**
 * Top-level keys left out of the `attrs` column: fields declared `index: false` (e.g. a few-KB html body).
 * `attrs` is what filters, sorts and indexes read (see store.ts for why it exists).
 */
export function unindexedFields(schema: CollectionSchema): string[] {
  return schema.fields.filter((f) => !f.index).map((f) => f.name);
}

/**
 * The SQL expression for a scalar field's typed value. Numbers cast to bigint/double so filters, sorts and
 * the per-collection expression indexes (store.ts) are the very same expression, which is what lets
 * Postgres use the index.
 */
export function scalarExpr(field: ScalarField): string {
  const lit = fieldLiteral(field.name);
  switch (baseType(field.type)) {
    case 'int32':
    case 'int64':
      return `((attrs->>${lit})::bigint)`;
    case 'float':
      return `((attrs->>${lit})::double precision)`;
    case 'bool':
      return `((attrs->>${lit})::boolean)`;
    case 'string':
      return `(attrs->>${lit})`;
  }
}
