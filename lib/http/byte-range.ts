/** Bytes [start, end] of a representation, both inclusive, as in `Content-Range: bytes start-end/size`. */
export type ByteRange = { start: number; end: number };

/** What to do with a request's `Range` header against a representation of a known size. */
export type RangeDecision = ByteRange | 'unsatisfiable' | 'ignore';

// One range-spec of RFC 9110 §14.1.2: int-range `first-last` / `first-`, or suffix-range `-length`.
const RANGE_SPEC = /^(\d*)-(\d*)$/;

/**
 * Reads one `Range` header (RFC 9110 §14.1.2 and §14.2) the way both the download route and the devstack's
 * Storage stand-in serve it:
 *
 * - `'ignore'`: serve the whole representation with 200. No header; a unit other than `bytes` (units are
 *   case-insensitive); an invalid ranges-specifier, e.g. `bytes=5-3` ("an int-range is invalid if the
 *   last-pos value is present and less than the first-pos") or `bytes=x`; several ranges (a server MAY
 *   ignore Range, and neither server writes multipart/byteranges).
 * - `'unsatisfiable'`: 416 with `Content-Range: bytes *\/size`: a valid range that starts at or past the
 *   end (`first-pos >= size`), or a suffix of length 0. A non-zero suffix of an empty representation is
 *   satisfiable but has no bytes to describe, so it is ignored.
 * - a range, its end clamped to the last byte.
 */
export function decideRange(header: string | null | undefined, size: number): RangeDecision {
  if (!header) return 'ignore';
  const equals = header.indexOf('=');
  if (equals < 0 || header.slice(0, equals).trim().toLowerCase() !== 'bytes') return 'ignore';
  // range-set = 1#range-spec. Several ranges are served as the whole file, valid or not.
  const specs = header.slice(equals + 1).split(',');
  const match = specs.length === 1 ? RANGE_SPEC.exec(specs[0]!.trim()) : null;
  if (!match) return 'ignore';
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return 'ignore';
  if (first !== '' && last !== '' && Number(last) < Number(first)) return 'ignore';

  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0) return 'unsatisfiable';
    // A non-zero suffix of an empty representation is satisfiable, but no Content-Range describes it.
    return size === 0 ? 'ignore' : { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (start >= size) return 'unsatisfiable';
  return { start, end: last === '' ? size - 1 : Math.min(Number(last), size - 1) };
}
