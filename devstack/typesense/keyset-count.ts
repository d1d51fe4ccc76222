import type { Pool } from 'pg';
import type { FilterCondition, FilterNode } from './filter-parser';
import { filterToSql } from './filter-sql';
import { baseType, findScalarField, isArrayType, scalarExpr, type CollectionSchema } from './schema';
import { SqlParams } from './sql-params';
import { partitionName, type StoredCollection } from './store';

/**
 * `found` for keyset pages without a scan per page.
 *
 * An export pages with `filter_by: (F) && key:>last`. Counting that in SQL reads every matching row's heap
 * tuple: ~100 ms per page over 100,000 demo docs, so a 400-page export spent ~40 s just on `found`, and
 * 1,000,000 docs would need ~1 s per page (measured). Instead, the sorted keys matching F are read once
 * into a BigInt64Array, cached under the collection's `version` (bumped by a trigger on every write, so a
 * stale answer is impossible), and each page's count is a binary search: exact, and O(log n).
 */

type KeyCondition = { field: string; comparator: 'gt' | 'gte' | 'lt' | 'lte'; value: bigint };

/** The conditions a chain of `&&` joins, in order (`(a && b) && c` → a, b, c); an `||` is one part. */
function conjuncts(node: FilterNode): FilterNode[] {
  return node.kind === 'and' ? [...conjuncts(node.left), ...conjuncts(node.right)] : [node];
}

/**
 * Recognises a conjunction holding a comparison on an integer sortable field — `F && key:>N`, `key:>N`
 * alone, or, as a scoped search key makes it, `(F && key:<=M && key:>N) && (mandatory)` — and peels off
 * the last such comparison (the page's cursor: composePageFilter puts it last in the request), leaving
 * the rest, which is the same for every page of a lane.
 */
export function splitKeyset(
  node: FilterNode | undefined,
  schema: CollectionSchema,
): { rest: FilterNode | undefined; key: KeyCondition } | undefined {
  if (!node) return undefined;
  const asKey = (n: FilterNode): KeyCondition | undefined => {
    if (n.kind !== 'cond') return undefined;
    const c: FilterCondition = n;
    const v = c.values[0];
    if (c.negate || c.list || c.values.length !== 1 || !v) return undefined;
    if (v.comparator !== 'gt' && v.comparator !== 'gte' && v.comparator !== 'lt' && v.comparator !== 'lte')
      return undefined;
    const field = findScalarField(schema, c.field);
    if (!field || !field.index || isArrayType(field.type)) return undefined;
    if (baseType(field.type) !== 'int64' && baseType(field.type) !== 'int32') return undefined;
    if (!/^[-+]?\d{1,19}$/.test(v.value.trim())) return undefined; // invalid values take the SQL path and its error
    return { field: c.field, comparator: v.comparator, value: BigInt(v.value.trim()) };
  };
  const parts = conjuncts(node);
  for (let i = parts.length - 1; i >= 0; i -= 1) {
    const key = asKey(parts[i]!);
    if (!key) continue;
    const others = parts.filter((_, j) => j !== i);
    const rest = others.reduce<FilterNode | undefined>(
      (left, right) => (left ? { kind: 'and', left, right } : right),
      undefined,
    );
    return { rest, key };
  }
  return undefined;
}

/** Index of the first element > target (upper bound) in a sorted array. */
function upperBound(keys: BigInt64Array, target: bigint): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((keys[mid] ?? 0n) <= target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first element ≥ target (lower bound). */
function lowerBound(keys: BigInt64Array, target: bigint): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((keys[mid] ?? 0n) < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function countMatching(keys: BigInt64Array, key: KeyCondition): number {
  switch (key.comparator) {
    case 'gt':
      return keys.length - upperBound(keys, key.value);
    case 'gte':
      return keys.length - lowerBound(keys, key.value);
    case 'lt':
      return lowerBound(keys, key.value);
    case 'lte':
      return upperBound(keys, key.value);
  }
}

/**
 * At most 4,000,000 cached keys in all (32 MB): a few concurrent exports of 1,000,000 records. Least
 * recently used entries go first.
 */
const MAX_CACHED_KEYS = 4_000_000;
const cache = new Map<string, Promise<BigInt64Array>>();
const sizes = new Map<string, number>();

function remember(cacheKey: string, value: Promise<BigInt64Array>): void {
  cache.set(cacheKey, value);
  value.then(
    (keys) => {
      sizes.set(cacheKey, keys.length);
      let total = [...sizes.values()].reduce((a, b) => a + b, 0);
      for (const oldest of cache.keys()) {
        if (total <= MAX_CACHED_KEYS || oldest === cacheKey) break;
        total -= sizes.get(oldest) ?? 0;
        cache.delete(oldest);
        sizes.delete(oldest);
      }
    },
    () => {
      cache.delete(cacheKey);
      sizes.delete(cacheKey);
    },
  );
}

/** Exact count of `rest && key` via the cached sorted keys of `rest`. */
export async function keysetCount(
  db: Pool,
  collection: StoredCollection,
  rest: FilterNode | undefined,
  key: KeyCondition,
): Promise<number> {
  const field = findScalarField(collection.schema, key.field);
  if (!field) throw new Error(`key field ${key.field} vanished`);
  const params = new SqlParams();
  const where = rest ? filterToSql(rest, collection.schema, params) : 'true';
  const cacheKey = JSON.stringify([collection.id, collection.version, key.field, where, params.values]);
  let keys = cache.get(cacheKey);
  if (keys) {
    // Refresh its LRU position.
    cache.delete(cacheKey);
    cache.set(cacheKey, keys);
  } else {
    const expr = scalarExpr(field);
    // One round trip; text is the cheapest way to move 1,000,000 int64s through node-pg.
    keys = db
      .query<{ keys: string | null }>(
        `select string_agg(k::text, ',' order by k) as keys
         from (select ${expr} as k from ${partitionName(collection.id)} where ${where}) s where k is not null`,
        params.values,
      )
      .then(({ rows }) => {
        const text = rows[0]?.keys ?? null;
        if (text === null || text === '') return new BigInt64Array(0);
        return BigInt64Array.from(text.split(','), (s) => BigInt(s));
      });
    remember(cacheKey, keys);
  }
  return countMatching(await keys, key);
}
