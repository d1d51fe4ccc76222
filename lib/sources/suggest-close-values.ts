import type { ExportSource } from '@/lib/sources/types';
import type { TypesenseAccess } from '@/lib/typesense/client';

export type CloseValues = { field: string; tried: string; values: Array<{ value: string; count: number }> };

/** `state:=PUBLISHD`, `state: published`, `language:=[en]`: one clause on one field, one value. */
const SINGLE_CLAUSE = /^\s*([A-Za-z_][\w.]*)\s*:\s*=?\s*\[?\s*`?([^`&|()[\],]+?)`?\s*\]?\s*$/;

/** Edit distance, case-insensitive: how close a value is to what was typed. */
export function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i += 1) {
    const cur = [i];
    for (let j = 1; j <= y.length; j += 1) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[y.length]!;
}

/** The values most like `tried`, closest first (ties: the more common first). */
export function closestValues(
  tried: string,
  counts: ReadonlyArray<{ value: string; count: number }>,
  limit = 5,
): Array<{ value: string; count: number }> {
  return [...counts]
    .map((c) => ({ ...c, d: distance(tried, c.value) }))
    .sort((a, b) => a.d - b.d || b.count - a.count)
    .slice(0, limit)
    .map(({ value, count }) => ({ value, count }));
}

/**
 * When a filter matches nothing and is one `field:=value` clause on a facetable field, the values the
 * field really holds that are closest to the typed one ("PUBLISHD" → "PUBLISHED"), from a facet query
 * inside the source's mandatory filter. Null when the source cannot suggest (other filters, a field
 * without facets, the search service down): the warning then stands alone.
 */
export async function suggestCloseValues(
  typesense: TypesenseAccess,
  source: ExportSource,
  userFilter: string,
): Promise<CloseValues | null> {
  const match = SINGLE_CLAUSE.exec(userFilter);
  if (!match) return null;
  const [, field, tried] = match as unknown as [string, string, string];
  try {
    // No filter of its own: the source's scoped key keeps the facets inside its mandatory filter.
    const result = await typesense
      .searchSource(source)
      .search({ q: '*', facet_by: field, max_facet_values: 100, per_page: 0 });
    const counts = result.facet_counts?.[0]?.counts.map((c) => ({ value: c.value, count: c.count })) ?? [];
    if (counts.length === 0) return null;
    return { field, tried: tried.trim(), values: closestValues(tried.trim(), counts) };
  } catch {
    return null;
  }
}
