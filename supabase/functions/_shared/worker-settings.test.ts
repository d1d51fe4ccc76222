import { describe, expect, it } from 'vitest';
import { budgetProblems, parseWorkerSettings, withBudget } from './worker-settings.ts';

describe('worker settings', () => {
  it('follow the platform: the CPU budget is 80 % of the CPU limit unless set', () => {
    expect(parseWorkerSettings({})).toMatchObject({ cpuLimitMs: 2000, cpuBudgetMs: 1600, leaseSeconds: 8 });
    expect(parseWorkerSettings({ BATON_EDGE_CPU_LIMIT_MS: '200' })).toMatchObject({ cpuBudgetMs: 160 });
    expect(parseWorkerSettings({ BATON_WORKER_CPU_BUDGET_MS: '' })).toMatchObject({ cpuBudgetMs: 1600 });
  });

  it('are checked together at start, naming every problem', () => {
    expect(() =>
      parseWorkerSettings({
        BATON_EDGE_CPU_LIMIT_MS: '200',
        BATON_WORKER_CPU_BUDGET_MS: '1500',
        BATON_WORKER_TIME_BUDGET_MS: '145000',
      }),
    ).toThrow(/CPU budget of 1500 ms reaches the platform's CPU limit of 200 ms.*time budget of 145000 ms/);
    expect(() => parseWorkerSettings({ BATON_WORKER_LEASE_SECONDS: '1' })).toThrow(/BATON_WORKER_LEASE_SECONDS/);
  });

  it("check a job's budget against the same limits", () => {
    const settings = parseWorkerSettings({});
    expect(budgetProblems(settings, { cpuMs: 1000, timeMs: 1000 })).toEqual([]);
    expect(budgetProblems(settings, { cpuMs: 5000 })).toHaveLength(1);
    expect(withBudget(settings, { timeMs: 900 })).toMatchObject({ timeBudgetMs: 900, cpuBudgetMs: 1600 });
  });
});
