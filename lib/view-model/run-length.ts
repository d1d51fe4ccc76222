import { SHARD_STATE_LABEL, SHARD_STATES, type ShardMapModel, type ShardState } from './shard-states';

export type ShardRun = { state: ShardState; from: number; to: number };

/** Consecutive shards in the same state, as 1-based inclusive ranges. */
export function shardRuns(model: Pick<ShardMapModel, 'states' | 'total'>): ShardRun[] {
  const runs: ShardRun[] = [];
  for (let i = 0; i < model.total; i += 1) {
    const state = SHARD_STATES[model.states[i] ?? 0] ?? 'pending';
    const last = runs[runs.length - 1];
    if (last && last.state === state) last.to = i + 1;
    else runs.push({ state, from: i + 1, to: i + 1 });
  }
  return runs;
}

const number = new Intl.NumberFormat('en-US');

function formatRun(run: ShardRun): string {
  const range = run.from === run.to ? number.format(run.from) : `${number.format(run.from)}–${number.format(run.to)}`;
  return `${range} ${SHARD_STATE_LABEL[run.state]}`;
}

/**
 * "1–1,200 done · 1,201–1,250 failed · 1,251–4,000 pending": the screen-reader and copy-paste view of
 * the map. A pathological map (every other shard failed) would read for minutes, so past `maxRuns`
 * ranges the rest is summarised as a count.
 */
export function formatRunLengthSummary(runs: readonly ShardRun[], maxRuns = 40): string {
  if (runs.length === 0) return 'No shards yet';
  const shown = runs.slice(0, maxRuns).map(formatRun);
  if (runs.length > maxRuns) {
    const rest = runs.length - maxRuns;
    shown.push(`and ${number.format(rest)} more range${rest === 1 ? '' : 's'}`);
  }
  return shown.join(' · ');
}
