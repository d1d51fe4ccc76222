import { describe, expect, it } from 'vitest';
import { decideRange } from './byte-range';

describe('decideRange (RFC 9110 §14.1.2, §14.2)', () => {
  it.each([
    ['bytes=0-9', { start: 0, end: 9 }],
    ['bytes=0-0', { start: 0, end: 0 }],
    ['bytes=90-', { start: 90, end: 99 }],
    ['bytes=99-99', { start: 99, end: 99 }],
    ['bytes=95-500', { start: 95, end: 99 }],
    ['bytes=-10', { start: 90, end: 99 }],
    ['bytes=-500', { start: 0, end: 99 }],
    ['Bytes=2-5', { start: 2, end: 5 }],
    ['BYTES=7-', { start: 7, end: 99 }],
    [' bytes = 3-4 ', { start: 3, end: 4 }],
    ['bytes=0-99999999999999999999999', { start: 0, end: 99 }],
  ])('serves %s as a range', (header, range) => {
    expect(decideRange(header, 100)).toEqual(range);
  });

  it.each([
    ['bytes=100-', 'starts at the end'],
    ['bytes=100-200', 'starts past the end'],
    ['bytes=99999999999999999999-', 'starts far past the end'],
    ['bytes=-0', 'empty suffix'],
  ])('answers %s as unsatisfiable (%s)', (header, _why) => {
    expect(decideRange(header, 100)).toBe('unsatisfiable');
  });

  it.each([
    [null, 'no header'],
    ['', 'empty header'],
    ['bytes=5-3', 'last-pos before first-pos: an invalid int-range'],
    ['bytes=200-100', 'invalid even when both are past the end'],
    ['items=0-1', 'another unit'],
    ['bytes 0-1', 'no ='],
    ['bytes=-', 'neither position'],
    ['bytes=a-b', 'not digits'],
    ['bytes=1.5-2', 'not an integer'],
    ['bytes=-1-2', 'a negative position'],
    ['bytes=0-1,5-6', 'several ranges'],
    ['bytes=0-1, 5-3', 'several ranges, one invalid'],
    ['bytes=0 -1', 'whitespace inside a range-spec'],
  ])('ignores %j (%s): the whole file with 200', (header, _why) => {
    expect(decideRange(header, 100)).toBe('ignore');
  });

  it('treats an empty representation as RFC 9110 does', () => {
    expect(decideRange('bytes=0-', 0)).toBe('unsatisfiable');
    expect(decideRange('bytes=0-0', 0)).toBe('unsatisfiable');
    expect(decideRange('bytes=-0', 0)).toBe('unsatisfiable');
    // Satisfiable, yet no Content-Range can describe zero bytes: served whole (nothing).
    expect(decideRange('bytes=-5', 0)).toBe('ignore');
  });
});
