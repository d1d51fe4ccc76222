import { rangeNotSatisfiable } from './errors';

/**
 * `Content-Range` and the read status, as PostgREST's `RangeQuery.hs` / `Response.hs` compute them:
 * `first-last/total` (total `*` when not counted, range `*` when empty), 206 for a counted partial
 * page, 416 for an offset past the end.
 */

export function contentRange(lower: number, upper: number, total: number | null): string {
  const range = total !== 0 && lower <= upper ? `${lower}-${upper}` : '*';
  return `${range}/${total ?? '*'}`;
}

export type ReadRange = { status: number; contentRange: string };

export function readRange(offset: number, pageTotal: number, total: number | null): ReadRange {
  const upper = offset + pageTotal - 1;
  if (total !== null && offset > total) throw rangeNotSatisfiable(offset, total);
  const status = total !== null && pageTotal < total ? 206 : 200;
  return { status, contentRange: contentRange(offset, upper, total) };
}

/** Inserts answer `*\/*` (or `*\/n` counted); updates and deletes `0-(n-1)/*`. */
export function writeContentRange(kind: 'insert' | 'update' | 'delete', affected: number, count: boolean): string {
  const total = count ? affected : null;
  return kind === 'insert' ? contentRange(1, 0, total) : contentRange(0, affected - 1, total);
}
