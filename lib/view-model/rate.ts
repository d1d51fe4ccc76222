/**
 * Records/s from the job row's progress samples (Realtime delivers one every ~second while a job runs):
 * a rate is always shown. The time left is smoothed on its own (eta.ts).
 */

export type RateSample = { at: number; rows: number };

/** Samples older than this (relative to the newest) no longer describe the current speed. */
const RATE_WINDOW_MS = 60_000;

/** Appends a sample, drops what fell out of the window; a counter that went down (a re-run) starts over. */
export function addSample(samples: readonly RateSample[], sample: RateSample, windowMs = RATE_WINDOW_MS): RateSample[] {
  const last = samples[samples.length - 1];
  if (last && sample.rows < last.rows) return [sample];
  if (last && sample.at <= last.at)
    return [...samples.slice(0, -1), { at: last.at, rows: Math.max(last.rows, sample.rows) }];
  return [...samples, sample].filter((s) => sample.at - s.at <= windowMs);
}

function rateBetween(a: RateSample, b: RateSample): number | null {
  const dt = (b.at - a.at) / 1000;
  return dt > 0 ? (b.rows - a.rows) / dt : null;
}

export type RateEstimate = {
  /** Records per second over the window, or null before two samples. */
  perSecond: number | null;
};

export function estimateRate(samples: readonly RateSample[]): RateEstimate {
  const first = samples[0];
  const last = samples[samples.length - 1];
  if (!first || !last || first === last) return { perSecond: null };
  return { perSecond: rateBetween(first, last) };
}

/**
 * Samples from the server's record of shards (each shard's `written_at` and rows), so the rate and the time left
 * survive a reload instead of starting from nothing: cumulative rows at each shard's write time, over the
 * window before the newest shard.
 */
export function samplesFromShards(
  shards: ReadonlyArray<{ written_at: string; rows: number; status: string }>,
  windowMs = RATE_WINDOW_MS,
): RateSample[] {
  const written = shards
    .filter((s) => s.status === 'written')
    .map((s) => ({ at: Date.parse(s.written_at), rows: s.rows }))
    .sort((a, b) => a.at - b.at);
  const newest = written.at(-1);
  if (!newest) return [];
  let cumulative = 0;
  const out: RateSample[] = [];
  for (const s of written) {
    cumulative += s.rows;
    if (newest.at - s.at > windowMs) continue;
    const last = out.at(-1);
    if (last && last.at === s.at) last.rows = cumulative;
    else out.push({ at: s.at, rows: cumulative });
  }
  return out;
}
