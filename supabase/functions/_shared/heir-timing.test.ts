import { describe, expect, it } from 'vitest';
import { shouldStartHeir, wallTimeLeftMs } from './heir-timing.ts';

const base = { elapsedMs: 1000, cpuUsedMs: 100, timeBudgetMs: 45_000, cpuBudgetMs: 1_600, bootMs: 300, pageMs: 50 };

describe('heir timing', () => {
  it('projects the CPU budget onto wall time at the rate spent so far', () => {
    // 0.1 ms of CPU per wall ms: 1,500 ms of CPU left is 15 s of wall time, sooner than the 44 s left.
    expect(wallTimeLeftMs(base)).toBe(15_000);
    expect(wallTimeLeftMs({ ...base, timeBudgetMs: 3_000 })).toBe(2_000);
  });

  it('starts the heir once the time left is about what it needs to boot and warm up, plus a page or two', () => {
    expect(shouldStartHeir(base)).toBe(false);
    // 80 ms of CPU left at 0.1 ms a wall ms is 800 ms of wall time: more than 1.5 × 300 + 5 × 50 = 700 ms.
    expect(shouldStartHeir({ ...base, elapsedMs: 15_200, cpuUsedMs: 1_520 })).toBe(false);
    // 40 ms of CPU left is 400 ms of wall time: less.
    expect(shouldStartHeir({ ...base, elapsedMs: 15_600, cpuUsedMs: 1_560 })).toBe(true);
  });

  it('starts at once under a tiny CPU budget (200 ms limit: a few pages an invocation)', () => {
    expect(shouldStartHeir({ ...base, elapsedMs: 120, cpuUsedMs: 40, cpuBudgetMs: 160 })).toBe(true);
  });
});
