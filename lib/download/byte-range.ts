import { segmentLength, type Segment } from './download-plan';

export type ByteRange = { start: number; end: number };

/**
 * Parses a single `Range: bytes=…` header against a file of `size` bytes (RFC 9110 §14.1.2):
 * `a-b`, `a-`, and suffix `-n`. Returns null when the header should be ignored (absent, another unit,
 * several ranges — serving the whole file is allowed), 'unsatisfiable' for a 416.
 */
export function parseByteRange(header: string | null, size: number): ByteRange | 'unsatisfiable' | null {
  if (!header) return null;
  const match = /^bytes=\s*(\d*)\s*-\s*(\d*)\s*$/.exec(header.trim());
  if (!match) return null;
  const [, first, last] = match;
  if (first === '' && last === '') return null;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (start >= size || (last !== '' && Number(last) < start)) return 'unsatisfiable';
  return { start, end };
}

/** One segment's share of a byte range: bytes [from, to) of that segment's own content. */
export type SegmentSlice = { segment: Segment; from: number; to: number };

/** Maps file bytes [range.start, range.end] onto the segments that hold them, in order. */
export function sliceSegments(segments: readonly Segment[], range: ByteRange): SegmentSlice[] {
  const slices: SegmentSlice[] = [];
  let offset = 0;
  for (const segment of segments) {
    const length = segmentLength(segment);
    const segmentEnd = offset + length; // exclusive
    if (segmentEnd > range.start && offset <= range.end) {
      slices.push({
        segment,
        from: Math.max(range.start - offset, 0),
        to: Math.min(range.end + 1 - offset, length),
      });
    }
    offset = segmentEnd;
    if (offset > range.end) break;
  }
  return slices;
}
