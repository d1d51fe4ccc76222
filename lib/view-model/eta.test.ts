import { describe, expect, it } from 'vitest';
import { etaFromSamples, initialEta, initialLiveEta, observeEta, observeLive, seedEta, type EtaState } from './eta';
import { formatEtaRange } from './format';

/**
 * A fast export as the page sees it: a sample a second, 2,550 records/s on average, but in bursts —
 * a hand-off every 6 s pauses it for a second, and the next second writes the pages that waited.
 * (The window-halves range this replaces read "about 3–4 min | about 4 min | about 3–4 min | about
 * 4 min | about 3–4 min | about 3 min | about 3–4 min | about 3 min | …" on this sequence.)
 */
function burstySamples(seconds: number): Array<{ at: number; rows: number }> {
  const out = [];
  let rows = 0;
  for (let t = 0; t <= seconds; t += 1) {
    out.push({ at: t * 1000, rows });
    rows += t % 6 === 5 ? 0 : t % 6 === 0 ? 4_500 : 2_700;
  }
  return out;
}

function shownTexts(total: number, seconds: number): Array<string | null> {
  let state: EtaState = initialEta;
  return burstySamples(seconds).map((s) => {
    state = observeEta(state, s, Math.max(0, total - s.rows));
    return state.shown ? formatEtaRange(state.shown) : null;
  });
}

describe('observeEta', () => {
  it('shows nothing before 5 samples over 10 s', () => {
    const texts = shownTexts(600_000, 12);
    expect(texts.slice(0, 10)).toEqual(Array(10).fill(null));
    expect(texts[10]).not.toBeNull();
  });

  it('does not flap on a bursty fast export: once shown, the figure only counts down', () => {
    // 600,000 records at ~2,550/s: about 4 min.
    const texts = shownTexts(600_000, 190).slice(10);
    expect(texts.every((t) => t !== null)).toBe(true);
    const latest = (t: string) => Number(/(\d+) min$/.exec(t)?.[1] ?? (t === 'under a minute' ? 0 : NaN));
    const ends = texts.map((t) => latest(t!));
    for (let i = 1; i < ends.length; i += 1) expect(ends[i]).toBeLessThanOrEqual(ends[i - 1]!);
    // It changes a handful of times in three minutes, not every second.
    const changes = texts.filter((t, i) => i > 0 && t !== texts[i - 1]).length;
    expect(changes).toBeLessThanOrEqual(6);
    expect(texts[0]).toMatch(/^about [23]–[3-5] min$/);
  });

  it('starts over when the counter goes down (a re-run)', () => {
    let state = etaFromSamples(burstySamples(20), 600_000);
    expect(state.shown).not.toBeNull();
    state = observeEta(state, { at: 21_000, rows: 100 }, 599_900);
    expect(state.shown).toBeNull();
    expect(state.samples).toBe(1);
  });

  it('keeps the estimate seeded from the manifest while the job row, refreshed on a clock, trails it', () => {
    const samples = burstySamples(20);
    const seeded = seedEta(initialLiveEta, samples, 600_000);
    expect(seeded.eta.shown).not.toBeNull();
    const seedRows = seeded.eta.last!.rows;
    // The rows read after a reload: several in a row a few shards behind the manifest's last write.
    let state = seeded;
    for (const [at, behind] of [
      [20_500, 5_000],
      [21_000, 3_000],
      [21_500, 0],
    ] as const) {
      state = observeLive(state, { at, rows: seedRows - behind }, 600_000 - seedRows + behind);
      expect(state.eta).toBe(seeded.eta);
    }
    // Once the row has passed the seed, its samples count, and a later drop is a re-run again.
    state = observeLive(state, { at: 22_000, rows: seedRows + 2_700 }, 600_000 - seedRows - 2_700);
    expect(state.eta.samples).toBe(seeded.eta.samples + 1);
    expect(state.eta.shown).not.toBeNull();
    state = observeLive(state, { at: 23_000, rows: 100 }, 599_900);
    expect(state.eta.shown).toBeNull();
  });

  it('seeds once, and not over more live samples than the manifest holds', () => {
    const seeded = seedEta(initialLiveEta, burstySamples(20), 600_000);
    expect(seedEta(seeded, burstySamples(30), 600_000)).toBe(seeded);
    let live = initialLiveEta;
    for (const s of burstySamples(8)) live = observeLive(live, s, 600_000 - s.rows);
    const late = seedEta(live, burstySamples(3), 600_000);
    expect(late.eta).toBe(live.eta);
    expect(late.seeded).toBe(true);
  });

  it('moves the range when the export really slows down', () => {
    let state = etaFromSamples(burstySamples(30), 600_000);
    const before = state.shown!;
    let rows = state.last!.rows;
    for (let t = 31; t <= 90; t += 1) {
      rows += 300;
      state = observeEta(state, { at: t * 1000, rows }, 600_000 - rows);
    }
    expect(state.shown![0]).toBeGreaterThan(before[1]);
  });
});
