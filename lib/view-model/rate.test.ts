import { describe, expect, it } from 'vitest';
import { addSample, estimateRate, type RateSample, samplesFromShards } from './rate';

function steady(perSecond: number, seconds: number, everyMs = 1000): RateSample[] {
  let samples: RateSample[] = [];
  for (let t = 0; t <= seconds * 1000; t += everyMs)
    samples = addSample(samples, { at: t, rows: (t / 1000) * perSecond });
  return samples;
}

describe('addSample', () => {
  it('keeps a sliding window', () => {
    const samples = steady(100, 120);
    expect(samples[0]?.at).toBe(60_000);
    expect(samples.at(-1)?.at).toBe(120_000);
  });

  it('starts over when the counter goes down (a re-run rewrote shards)', () => {
    const samples = addSample(steady(100, 5), { at: 6000, rows: 10 });
    expect(samples).toEqual([{ at: 6000, rows: 10 }]);
  });

  it('merges samples with the same timestamp', () => {
    const samples = addSample([{ at: 1000, rows: 5 }], { at: 1000, rows: 9 });
    expect(samples).toEqual([{ at: 1000, rows: 9 }]);
  });
});

describe('estimateRate', () => {
  it('knows nothing from one sample', () => {
    expect(estimateRate([{ at: 0, rows: 0 }])).toEqual({ perSecond: null, settled: false, low: null, high: null });
  });

  it('reports a rate at once but settles only after 10 s', () => {
    const early = estimateRate(steady(500, 3));
    expect(early.perSecond).toBeCloseTo(500);
    expect(early.settled).toBe(false);
    const later = estimateRate(steady(500, 12));
    expect(later.settled).toBe(true);
    expect(later.low).toBeCloseTo(500);
    expect(later.high).toBeCloseTo(500);
  });

  it('does not settle while the speed keeps changing', () => {
    let samples: RateSample[] = [];
    let rows = 0;
    for (let t = 0; t <= 20; t += 1) {
      rows += t < 10 ? 100 : 400;
      samples = addSample(samples, { at: t * 1000, rows });
    }
    expect(estimateRate(samples).settled).toBe(false);
  });

  it('settles with a range when a hand-off pauses the export briefly', () => {
    let samples: RateSample[] = [];
    let rows = 0;
    for (let t = 0; t <= 20; t += 1) {
      if (t !== 15) rows += 1000;
      samples = addSample(samples, { at: t * 1000, rows });
    }
    const rate = estimateRate(samples);
    expect(rate.settled).toBe(true);
    expect(rate.low!).toBeLessThan(rate.high!);
  });
});

describe('samplesFromShards', () => {
  it('turns the manifest into cumulative samples over the last minute, so a reload has a rate at once', () => {
    const t0 = Date.UTC(2026, 11, 1, 10, 0, 0);
    const shards = Array.from({ length: 100 }, (_, i) => ({
      written_at: new Date(t0 + i * 1_000).toISOString(),
      rows: 250,
      status: 'written',
    }));
    const samples = samplesFromShards(shards);
    expect(samples).toHaveLength(61);
    expect(samples[0]).toEqual({ at: t0 + 39_000, rows: 40 * 250 });
    const rate = estimateRate(samples);
    expect(rate.perSecond).toBeCloseTo(250);
    expect(rate.settled).toBe(true);
    expect(samplesFromShards([])).toEqual([]);
    expect(samplesFromShards([{ written_at: new Date(t0).toISOString(), rows: 5, status: 'rerun_requested' }])).toEqual(
      [],
    );
  });
});
