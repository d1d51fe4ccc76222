import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, formatEtaRange, formatRate, sentenceCase } from './format';

describe('format', () => {
  it('durations', () => {
    expect(formatDuration(45_000)).toBe('45 s');
    expect(formatDuration(185_000)).toBe('3 min 05 s');
    expect(formatDuration(7_440_000)).toBe('2 h 04 min');
    expect(formatDuration(-5)).toBe('0 s');
  });

  it('ETA ranges', () => {
    expect(formatEtaRange([10, 40])).toBe('under a minute');
    expect(formatEtaRange([100, 190])).toBe('about 2–3 min');
    expect(formatEtaRange([120, 130])).toBe('about 2 min');
    expect(formatEtaRange([4200, 5400])).toBe('about 1 h 10 min – 1 h 30 min');
  });

  it('exact sizes', () => {
    expect(formatBytes(12_345_678, true)).toBe('12.3 MB (12,345,678 bytes)');
    expect(formatBytes(999, true)).toBe('999 B');
  });

  it('rates', () => {
    expect(formatRate(1234.4)).toBe('1,234 records/s');
    expect(formatRate(null)).toBe('—');
  });

  it('starts a label with a capital and leaves the rest as written', () => {
    expect(sentenceCase('not written')).toBe('Not written');
    expect(sentenceCase('re-run queued')).toBe('Re-run queued');
    expect(sentenceCase('')).toBe('');
  });
});
