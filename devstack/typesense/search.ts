import type { Pool } from 'pg';
import { z } from 'zod';
import { TypesenseError } from './errors';
import { parseFilter } from './filter-parser';
import { filterToSql } from './filter-sql';
import { keysetCount, splitKeyset } from './keyset-count';
import { parseExactJson } from '../../supabase/functions/_shared/exact-json.ts';
import { parseParams, projectDocument, splitFields, uintParam } from './query-params';
import { baseType, fieldLiteral, findScalarField, isArrayType, type CollectionSchema } from './schema';
import { sortToSql } from './sort';
import { SqlParams } from './sql-params';
import { partitionName, type StoredCollection } from './store';

/** `max-per-page` server flag default (Typesense `include/tsconfig.h`). */
const MAX_PER_PAGE = 250;
/** Default `limit_hits`: how deep page/offset paging can reach (`fetch_size = min(offset+per_page, limit_hits)`). */
const DEFAULT_LIMIT_HITS = 1_000_000;
const DEFAULT_PER_PAGE = 10;

const searchParamsSchema = z
  .object({
    q: z.string({ error: 'Parameter `q` is required.' }),
    query_by: z.string().optional(),
    filter_by: z.string().optional(),
    sort_by: z.string().optional(),
    page: uintParam('page').optional(),
    per_page: uintParam('per_page').optional(),
    offset: uintParam('offset').optional(),
    limit: uintParam('limit').optional(),
    limit_hits: uintParam('limit_hits').optional(),
    include_fields: z.string().optional(),
    exclude_fields: z.string().optional(),
    facet_by: z.string().optional(),
    max_facet_values: uintParam('max_facet_values').optional(),
  })
  .loose();

type SearchHit = { document: Record<string, unknown>; highlight: Record<string, never>; highlights: never[] };

type FacetCount = {
  field_name: string;
  counts: Array<{ count: number; highlighted: string; value: string }>;
  sampled: boolean;
  stats: { total_values: number };
};

export type SearchResponse = {
  facet_counts: FacetCount[];
  found: number;
  hits: SearchHit[];
  out_of: number;
  page: number;
  request_params: { collection_name: string; first_q: string; per_page: number; q: string };
  search_cutoff: boolean;
  search_time_ms: number;
};

/** Escapes LIKE wildcards so `q` is matched literally. */
function likeLiteral(text: string): string {
  return `%${text.replace(/[\\%_]/g, '\\$&')}%`;
}

/**
 * `q` other than `*`: a case-insensitive substring match over the `query_by` string fields (no typo
 * tolerance, no ranking; every hit scores the same, ordered by sort_by then newest first). Enough for a
 * search box in the app; exports always use `q=*`.
 */
function querySql(
  q: string,
  queryBy: string | undefined,
  schema: CollectionSchema,
  params: SqlParams,
): string | undefined {
  if (q.trim() === '*' || q.trim() === '') return undefined;
  const names = splitFields(queryBy);
  if (names.length === 0) throw new TypesenseError(400, 'No search fields specified for the query.');
  const pattern = params.add(likeLiteral(q.trim()));
  const parts = names.map((name) => {
    const field = findScalarField(schema, name);
    if (!field || !field.index)
      throw new TypesenseError(404, `Could not find a field named \`${name}\` in the schema.`);
    if (baseType(field.type) !== 'string') {
      throw new TypesenseError(400, `Field \`${name}\` should be a string or a string array.`);
    }
    const lit = fieldLiteral(field.name);
    return isArrayType(field.type)
      ? `exists (select 1 from jsonb_array_elements_text(case when jsonb_typeof(attrs->${lit}) = 'array' then attrs->${lit} else '[]'::jsonb end) as e(v) where e.v ilike ${pattern})`
      : `(attrs->>${lit}) ilike ${pattern}`;
  });
  return `(${parts.join(' or ')})`;
}

/** The WHERE clause shared by search and export (q and filter_by), or undefined when everything matches. */
export function whereSql(
  schema: CollectionSchema,
  params: SqlParams,
  filterBy: string | undefined,
  q?: { q: string; queryBy: string | undefined },
): string | undefined {
  const parts: string[] = [];
  const qSql = q ? querySql(q.q, q.queryBy, schema, params) : undefined;
  if (qSql) parts.push(qSql);
  const filter = parseFilter(filterBy ?? '');
  if (filter) parts.push(filterToSql(filter, schema, params));
  return parts.length === 0 ? undefined : parts.join(' and ');
}

async function facetCounts(
  db: Pool,
  collection: StoredCollection,
  facetBy: string | undefined,
  where: string | undefined,
  params: SqlParams,
  maxValues: number,
): Promise<FacetCount[]> {
  const names = splitFields(facetBy);
  const table = partitionName(collection.id);
  return Promise.all(
    names.map(async (name) => {
      const field = findScalarField(collection.schema, name);
      if (!field || !field.facet)
        throw new TypesenseError(404, `Could not find a facet field named \`${name}\` in the schema.`);
      const lit = fieldLiteral(field.name);
      const values = isArrayType(field.type)
        ? `jsonb_array_elements_text(case when jsonb_typeof(attrs->${lit}) = 'array' then attrs->${lit} else '[]'::jsonb end)`
        : `(select attrs->>${lit} where attrs ? ${lit})`;
      const { rows } = await db.query<{ v: string; n: string; total: string }>(
        `select v, count(*) as n, count(*) over () as total from ${table}, lateral ${values} as e(v)
         ${where ? `where ${where}` : ''} group by v order by n desc, v limit ${maxValues}`,
        params.values,
      );
      return {
        field_name: name,
        counts: rows.map((r) => ({ count: Number(r.n), highlighted: r.v, value: r.v })),
        sampled: false,
        stats: { total_values: Number(rows[0]?.total ?? 0) },
      };
    }),
  );
}

/** GET /collections/:name/documents/search. */
export async function searchDocuments(
  db: Pool,
  collection: StoredCollection,
  query: Record<string, string>,
): Promise<SearchResponse> {
  const started = performance.now();
  const p = parseParams(searchParamsSchema, query);
  const perPage = p.limit ?? p.per_page ?? DEFAULT_PER_PAGE;
  if (perPage > MAX_PER_PAGE) throw new TypesenseError(422, `Only upto ${MAX_PER_PAGE} hits can be fetched per page.`);
  const page = p.offset === undefined ? Math.max(1, p.page ?? 1) : undefined;
  const offset = p.offset ?? ((page ?? 1) - 1) * perPage;
  const limitHits = p.limit_hits ?? DEFAULT_LIMIT_HITS;

  const schema = collection.schema;
  const params = new SqlParams();
  const where = whereSql(schema, params, p.filter_by, { q: p.q, queryBy: p.query_by });
  // Final tie-break: newest first (Typesense's implicit seq_id desc). `collection_id` is constant inside the
  // partition; naming it lets Postgres walk the partition's (collection_id, seq) primary key backwards
  // instead of sorting every row when there is no other sort key.
  const order = [...sortToSql(p.sort_by, schema), 'collection_id desc', 'seq desc'].join(', ');
  const table = partitionName(collection.id);

  // Typesense: fetch_size = min(offset + per_page, limit_hits); pages past it come back empty while
  // `found` stays the true count.
  const fetchEnd = Math.min(offset + perPage, limitHits);
  const take = Math.max(0, fetchEnd - offset);

  const keyset =
    querySql(p.q, p.query_by, schema, new SqlParams()) === undefined
      ? splitKeyset(parseFilter(p.filter_by ?? ''), schema)
      : undefined;
  const countPromise = !where
    ? Promise.resolve(collection.numDocuments)
    : keyset
      ? keysetCount(db, collection, keyset.rest, keyset.key)
      : db
          .query<{ n: string }>(`select count(*) as n from ${table} where ${where}`, params.values)
          .then((r) => Number(r.rows[0]?.n ?? 0));

  const hitsPromise = (async () => {
    if (take === 0) return [];
    const pageParams = new SqlParams();
    pageParams.values.push(...params.values);
    const { rows } = await db.query<{ doc: string }>(
      `select doc from ${table} ${where ? `where ${where}` : ''}
       order by ${order} limit ${pageParams.add(take)}::int offset ${pageParams.add(offset)}::bigint`,
      pageParams.values,
    );
    const include = splitFields(p.include_fields);
    const exclude = splitFields(p.exclude_fields);
    return rows.map((r): SearchHit => ({
      document: projectDocument(parseExactJson(r.doc) as Record<string, unknown>, include, exclude),
      highlight: {},
      highlights: [],
    }));
  })();

  const facetPromise = facetCounts(db, collection, p.facet_by, where, params, p.max_facet_values ?? 10);
  const [found, hits, facets] = await Promise.all([countPromise, hitsPromise, facetPromise]);
  return {
    facet_counts: facets,
    found,
    hits,
    out_of: collection.numDocuments,
    page: page ?? offset,
    request_params: { collection_name: schema.name, first_q: p.q, per_page: perPage, q: p.q },
    search_cutoff: false,
    search_time_ms: Math.round(performance.now() - started),
  };
}
