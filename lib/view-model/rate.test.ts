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
    expect(estimateRate([{ at: 0, rows: 0 }])).toEqual({ perSecond: null });
  });

  it('reports the rate over the window at once', () => {
    expect(estimateRate(steady(500, 3)).perSecond).toBeCloseTo(500);
    expect(estimateRate(steady(500, 120)).perSecond).toBeCloseTo(500);
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
    expect(samplesFromShards([])).toEqual([]);
    expect(samplesFromShards([{ written_at: new Date(t0).toISOString(), rows: 5, status: 'rerun_requested' }])).toEqual(
      [],
    );
  });
});
