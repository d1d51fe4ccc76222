import { AppError } from '@/lib/api/app-error';
import type { ExportSource } from '@/lib/sources/types';
import type { TypesenseAccess } from '@/lib/typesense/client';
import { composePageFilter } from '@/supabase/functions/_shared/export-filter.ts';
import { classifyTypesenseError } from '@/supabase/functions/_shared/typesense-error.ts';
import { integerOf } from '@/supabase/functions/_shared/exact-json.ts';

import { laneCount } from './lane-count';

/** Each lane holds its share of the records ±10 %: every bound lands within ±5 % of a lane of its target. */
const BOUND_TOLERANCE = 0.05;
/** Rounds of probes before giving up on precision: interpolation on real keys needs 2–5; bisection of a
 * 64-bit key range at most 64. */
const MAX_ROUNDS = 64;

type Probe = (key: bigint) => Promise<number>;

/**
 * The keys that split `total` matching records into `lanes` near-equal parts: for each inner bound, a
 * key x whose count of `key <= x` is within the tolerance of i·total/lanes. Found by interpolating
 * between known (key, count) points — every probe is one count query, run for all bounds at once —
 * falling back to bisection so skewed keys still converge.
 */
export async function findLaneBounds(options: {
  total: number;
  lanes: number;
  minKey: bigint;
  maxKey: bigint;
  countUpTo: Probe;
}): Promise<bigint[]> {
  const { total, lanes, minKey, maxKey, countUpTo } = options;
  const tolerance = Math.max(1, Math.floor((BOUND_TOLERANCE * total) / lanes));
  const searches = Array.from({ length: lanes - 1 }, (_, i) => ({
    target: Math.round(((i + 1) * total) / lanes),
    lo: { key: minKey - 1n, count: 0 },
    hi: { key: maxKey, count: total },
    lastSide: null as 'lo' | 'hi' | null,
    bisect: false,
    found: null as bigint | null,
  }));
  for (let round = 0; round < MAX_ROUNDS && searches.some((s) => s.found === null); round += 1) {
    await Promise.all(
      searches
        .filter((s) => s.found === null)
        .map(async (s) => {
          const span = s.hi.key - s.lo.key;
          if (span <= 1n) {
            s.found = s.hi.key;
            return;
          }
          // Keys are int64s, exact as bigints; the interpolation's guess only needs to land in the range.
          const share = (s.target - s.lo.count) / (s.hi.count - s.lo.count);
          const interpolated = s.lo.key + BigInt(Math.round(share * Number(span)));
          const middle = s.lo.key + span / 2n;
          const guess = s.bisect ? middle : interpolated;
          const key = guess >= s.hi.key ? s.hi.key - 1n : guess <= s.lo.key ? s.lo.key + 1n : guess;
          const count = await countUpTo(key);
          const side = count < s.target ? 'lo' : 'hi';
          // Interpolation stalls when keys bunch at one end (it keeps landing on the same side): bisect then.
          s.bisect = side === s.lastSide;
          s.lastSide = side;
          if (Math.abs(count - s.target) <= tolerance) s.found = key;
          else s[side] = { key, count };
        }),
    );
  }
  const bounds = searches.map((s) => s.found ?? (s.lo.key + s.hi.key) / 2n);
  // Strictly ascending and inside the range; a duplicate bound would only make an empty lane.
  return bounds.filter((bound, i) => bound >= minKey && bound < maxKey && (i === 0 || bound > bounds[i - 1]!));
}

/**
 * Probes the source for a job's lane bounds under its filter (the user's, ANDed with the mandatory one by
 * the source's scoped key). A handful of cheap
 * searches: two for the key range, then a few count-only rounds, never a scan.
 */
export async function planLanes(
  typesense: TypesenseAccess,
  source: ExportSource,
  userFilter: string | null,
  estimate: { total: number; pageSize: number; requestedLanes?: number },
): Promise<bigint[]> {
  const lanes = laneCount(estimate.total, estimate.pageSize, estimate.requestedLanes);
  if (lanes <= 1) return [];
  const filterUpTo = (lastKey: bigint | null) =>
    composePageFilter({ keyField: source.key_field, userFilter, afterKey: null, lastKey }) || undefined;
  const documents = typesense.searchSource(source);
  try {
    const edge = async (direction: 'asc' | 'desc') => {
      const result = await documents.search({
        q: '*',
        filter_by: filterUpTo(null),
        sort_by: `${source.key_field}:${direction}`,
        per_page: 1,
        include_fields: source.key_field,
      });
      // Exact beyond 2^53: the client parses int64s losslessly (exact-json-adapter.ts).
      const key = integerOf(result.hits?.[0]?.document[source.key_field]);
      if (key === undefined) {
        throw new AppError('unprocessable', `Records of ${source.collection} need an integer ${source.key_field}.`);
      }
      return key;
    };
    const [minKey, maxKey] = await Promise.all([edge('asc'), edge('desc')]);
    return await findLaneBounds({
      total: estimate.total,
      lanes,
      minKey,
      maxKey,
      countUpTo: async (key) =>
        (await documents.search({ q: '*', filter_by: filterUpTo(key), per_page: 0, include_fields: source.key_field }))
          .found,
    });
  } catch (error) {
    if (error instanceof AppError) throw error;
    if (classifyTypesenseError(error).kind === 'rejected') {
      throw new AppError('unprocessable', `Splitting the export into lanes failed: ${String(error)}`);
    }
    throw new AppError('upstream_unavailable', 'The search service is unavailable; try again in a moment.');
  }
}
