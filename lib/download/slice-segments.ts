import type { ByteRange } from '@/lib/http/byte-range';
import { segmentLength, type Segment } from './download-plan';

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
