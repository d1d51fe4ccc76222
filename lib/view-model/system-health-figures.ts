import type { SystemHealth } from '@/lib/system/system-health';
import { formatCount } from './format';
import { plainErrorCause } from './plain-error';

/** Without a measured interval, the hosted schedule: every 10 s (migration 20261206000600). */
const DEFAULT_SWEEP_INTERVAL_S = 10;
/** Late after missing this many runs in a row: one missed run is a busy database, three are not. */
const LATE_AFTER_RUNS = 3;

export type SweepState =
  { state: 'never'; sentence: string } | { state: 'ok' | 'late'; sentence: string; lastRunAt: string };

/** Whether the sweep runs as it should: it requeues retries and reaps dead workers, so late means stuck work. */
export function sweepState(sweep: SystemHealth['sweep'], now: number): SweepState {
  const every = sweep.interval_seconds ?? DEFAULT_SWEEP_INTERVAL_S;
  const how = sweep.schedule ? `is scheduled every ${sweep.schedule}` : `runs about every ${formatCount(every)} s`;
  if (!sweep.last_run_at) {
    return { state: 'never', sentence: 'The sweep has not run in the last two hours: retries and dead workers wait.' };
  }
  const late = now - Date.parse(sweep.last_run_at) > LATE_AFTER_RUNS * every * 1000;
  return {
    state: late ? 'late' : 'ok',
    lastRunAt: sweep.last_run_at,
    sentence: late
      ? `Late: it ${how} and has missed ${LATE_AFTER_RUNS} or more runs; retries and dead workers wait.`
      : `On time: it ${how}.`,
  };
}

/** "2 × the search index (Typesense) did not answer": an error kind in the words the activity uses. */
export function errorKindSentence({ kind, count }: { kind: string | null; count: number }): string {
  return `${formatCount(count)} × ${plainErrorCause(kind)}`;
}
