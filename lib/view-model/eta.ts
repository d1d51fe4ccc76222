import type { RateSample } from './rate';

/**
 * The time-left figure, steady enough to read. A fast export's rate swings from sample to sample
 * (hand-offs pause a lane for a moment, then pages land in a burst), and a range recomputed from each
 * window flapped between "about 2 min", "under a minute" and "—". So:
 * - the rate is an exponentially weighted average (time constant 15 s: a hand-off's pause of 1–2 s
 *   moves it by under 15 %), its spread the weighted mean deviation, which sets the range's width;
 * - nothing is shown before 5 samples over 10 s;
 * - the range is rounded outwards to coarse steps (1 min below 10 min, 5 min below 1 h, 15 min above);
 * - hysteresis: while the current estimate lies inside the shown range, the range only counts down
 *   (its latest end comes down); it moves up only once the estimate has left it (a real slow-down).
 */
export type EtaState = {
  /** Records per second, weighted; null before two samples. */
  rate: number | null;
  /** Weighted mean absolute deviation of the per-sample rate from `rate`. */
  spread: number;
  samples: number;
  first: RateSample | null;
  last: RateSample | null;
  /** Seconds left as shown, [soonest, latest], or null while estimating. */
  shown: [number, number] | null;
};

const TIME_CONSTANT_MS = 15_000;
const MIN_SAMPLES = 5;
const MIN_SPAN_MS = 10_000;
/**
 * The range's margin either side, relative to the rate: half the per-sample spread (the rate over the
 * remaining minutes varies far less than from one second to the next), at least 10 % and at most 50 %
 * (so the latest end stays finite: twice the estimate).
 */
const MIN_MARGIN = 0.1;
const MAX_MARGIN = 0.5;

export const initialEta: EtaState = { rate: null, spread: 0, samples: 0, first: null, last: null, shown: null };

/** The step a time left is rounded to: coarser as it grows, so the figure does not tick. */
function stepFor(seconds: number): number {
  if (seconds < 600) return 60;
  if (seconds < 3600) return 300;
  return 900;
}

/** [soonest, latest] seconds, widened outwards to whole steps. */
function roundedRange(low: number, high: number): [number, number] {
  const lowStep = stepFor(low);
  const highStep = stepFor(high);
  return [Math.floor(low / lowStep) * lowStep, Math.max(60, Math.ceil(high / highStep) * highStep)];
}

/**
 * Folds one progress sample into the state. `remainingRows` is what is still to write after it. A
 * counter that went down (a re-run rewrote shards) starts over.
 */
export function observeEta(state: EtaState, sample: RateSample, remainingRows: number): EtaState {
  const last = state.last;
  const first = state.first;
  if (!last || !first || sample.rows < last.rows) {
    return { ...initialEta, samples: 1, first: sample, last: sample };
  }
  const dt = sample.at - last.at;
  if (dt <= 0) return { ...state, last: { at: last.at, rows: Math.max(last.rows, sample.rows) } };

  const instant = ((sample.rows - last.rows) / dt) * 1000;
  const alpha = 1 - Math.exp(-dt / TIME_CONSTANT_MS);
  const samples = state.samples + 1;
  const settled = samples >= MIN_SAMPLES && sample.at - first.at >= MIN_SPAN_MS;
  // Until settled, the plain average since the first sample: a weighted one would lean on the first
  // burst it saw.
  const rate =
    !settled || state.rate === null
      ? ((sample.rows - first.rows) / (sample.at - first.at)) * 1000
      : state.rate + alpha * (instant - state.rate);
  const spread = state.rate === null ? 0 : state.spread + alpha * (Math.abs(instant - state.rate) - state.spread);
  const next: EtaState = { rate, spread, samples, first, last: sample, shown: null };
  if (!settled || rate <= 0 || remainingRows <= 0) return next;

  const estimate = remainingRows / rate;
  const margin = Math.min(MAX_MARGIN, Math.max(MIN_MARGIN, spread / rate / 2));
  const candidate = roundedRange(estimate / (1 + margin), estimate / (1 - margin));
  const shown = state.shown;
  // Counting down (the latest end comes down) is always taken; anything else only once the estimate
  // has left the shown range.
  const inside = shown !== null && estimate >= shown[0] && estimate <= shown[1];
  if (shown && inside && candidate[1] >= shown[1]) return { ...next, shown };
  return { ...next, shown: candidate };
}

/** Folds a run of samples (the manifest's, after a reload) into a fresh state. */
export function etaFromSamples(samples: readonly RateSample[], totalRows: number): EtaState {
  return samples.reduce((state, s) => observeEta(state, s, Math.max(0, totalRows - s.rows)), initialEta);
}

/**
 * The time left as the export page follows it: the smoothed state, whether the manifest has seeded it,
 * and, right after a seed, the rows the live job row must pass before its samples count.
 */
export type LiveEta = { eta: EtaState; seeded: boolean; catchUpTo: number | null };

export const initialLiveEta: LiveEta = { eta: initialEta, seeded: false, catchUpTo: null };

/**
 * Seeds the state once from the manifest's shards, so after a reload the time left is there at once
 * instead of after 10 s of live samples. The manifest's history wins over the few live samples seen
 * before it arrived.
 */
export function seedEta(state: LiveEta, samples: readonly RateSample[], totalRows: number): LiveEta {
  if (state.seeded) return state;
  const seed = etaFromSamples(samples, totalRows);
  if (seed.samples < state.eta.samples) return { ...state, seeded: true };
  return { eta: seed, seeded: true, catchUpTo: seed.last?.rows ?? null };
}

/**
 * Folds one sample of the live job row. The row's progress is refreshed on a clock (every progress
 * interval, in record_export_shard), so for a few seconds after a seed it can trail the shards the state
 * was seeded from: until the row has passed them, a row at or behind them is not a re-run starting
 * over (which would blank the estimate for 10 s), and is skipped.
 */
export function observeLive(state: LiveEta, sample: RateSample, remainingRows: number): LiveEta {
  if (state.catchUpTo !== null && sample.rows <= state.catchUpTo) return state;
  return { ...state, eta: observeEta(state.eta, sample, remainingRows), catchUpTo: null };
}
