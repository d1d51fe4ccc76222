import { describe, expect, it } from 'vitest';
import { relativeText } from './relative-time';

describe('relativeText', () => {
  const t0 = Date.UTC(2026, 11, 1, 10, 0, 0);
  it('keeps one form and moves only when the whole unit changes', () => {
    expect(relativeText(new Date(t0), t0 + 5_000)).toBe('less than a minute ago');
    expect(relativeText(new Date(t0), t0 + 59_000)).toBe('less than a minute ago');
    expect(relativeText(new Date(t0), t0 + 60_000)).toBe('1 minute ago');
    expect(relativeText(new Date(t0), t0 + 119_000)).toBe('1 minute ago');
    expect(relativeText(new Date(t0), t0 + 3 * 3_600_000 + 59 * 60_000)).toBe('3 hours ago');
  });
});
