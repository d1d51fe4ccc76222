import { describe, expect, it } from 'vitest';
import { RestError } from './errors';
import { contentRange, readRange, writeContentRange } from './range';

describe('Content-Range and read status', () => {
  it('matches PostgREST for full, partial, empty and uncounted pages', () => {
    expect(readRange(0, 4, 4)).toEqual({ status: 200, contentRange: '0-3/4' });
    expect(readRange(0, 2, 4)).toEqual({ status: 206, contentRange: '0-1/4' });
    expect(readRange(2, 2, null)).toEqual({ status: 200, contentRange: '2-3/*' });
    expect(readRange(0, 0, null)).toEqual({ status: 200, contentRange: '*/*' });
    expect(readRange(0, 0, 0)).toEqual({ status: 200, contentRange: '*/0' });
    expect(readRange(4, 0, 4)).toEqual({ status: 206, contentRange: '*/4' });
    expect(contentRange(1, 0, 3)).toBe('*/3');
  });

  it('answers 416 PGRST103 for an offset past the counted total', () => {
    expect(() => readRange(10, 0, 4)).toThrow(RestError);
    try {
      readRange(10, 0, 4);
    } catch (error) {
      expect((error as RestError).status).toBe(416);
      expect((error as RestError).body.details).toBe('An offset of 10 was requested, but there are only 4 rows.');
    }
  });

  it('writes: inserts */n, updates and deletes 0-(n-1)/*', () => {
    expect(writeContentRange('insert', 3, false)).toBe('*/*');
    expect(writeContentRange('insert', 3, true)).toBe('*/3');
    expect(writeContentRange('update', 2, false)).toBe('0-1/*');
    expect(writeContentRange('delete', 0, false)).toBe('*/*');
  });
});
