import { describe, expect, it } from 'vitest';
import { nextAttemptAt, PRODUCTION_RETRY_POLICY } from './retry-schedule.ts';

const HOUR = 3_600_000;

describe('nextAttemptAt', () => {
  it('doubles the delay from 5 s', () => {
    const from = new Date(0);
    expect(nextAttemptAt(1, from, new Date(0), PRODUCTION_RETRY_POLICY)?.getTime()).toBe(5_000);
    expect(nextAttemptAt(2, from, new Date(5_000), PRODUCTION_RETRY_POLICY)?.getTime()).toBe(15_000);
    expect(nextAttemptAt(3, from, new Date(15_000), PRODUCTION_RETRY_POLICY)?.getTime()).toBe(35_000);
  });

  it('retries for a day, never more than 6 h apart, then gives up', () => {
    const from = new Date(0);
    let now = new Date(0);
    let attempts = 1;
    for (let next = nextAttemptAt(1, from, now, PRODUCTION_RETRY_POLICY); next; attempts++) {
      expect(next.getTime() - now.getTime()).toBeLessThanOrEqual(6 * HOUR);
      now = next;
      next = nextAttemptAt(attempts + 1, from, now, PRODUCTION_RETRY_POLICY);
    }
    expect(now.getTime()).toBe(24 * HOUR);
    expect(attempts).toBeGreaterThan(10);
    expect(attempts).toBeLessThan(25);
  });
});
