import { describe, expect, it } from 'vitest';
import { CPU_ESTIMATE, createCpuMeter } from './cpu-meter.ts';

describe('CPU meter', () => {
  it('reads the thread clock where the runtime has one, from when the meter was made', () => {
    let clock = 1_000;
    const meter = createCpuMeter(() => clock);
    expect(meter.source).toBe('thread-clock');
    clock += 42;
    meter.countExchange();
    expect(meter.time(() => 'result')).toBe('result');
    expect(meter.usedMs()).toBe(42);
    expect(meter.perRequestMs).toBe(0);
  });

  it('without a clock, estimates from timed synchronous work and exchanges, with the margin', () => {
    let now = 0;
    const meter = createCpuMeter(null, () => now);
    expect(meter.source).toBe('estimate');
    expect(
      meter.time(() => {
        now += 10; // 10 ms of encoding
        return 'encoded';
      }),
    ).toBe('encoded');
    meter.countExchange();
    meter.countExchange();
    expect(meter.usedMs()).toBeCloseTo(10 * CPU_ESTIMATE.timedWorkFactor + 2 * CPU_ESTIMATE.perExchangeMs);
    // What nothing times on a request (lazy compilation on a fresh isolate) is charged once per request.
    expect(meter.perRequestMs).toBe(CPU_ESTIMATE.perRequestMs);
    expect(CPU_ESTIMATE.perRequestMs).toBeGreaterThan(0);
  });

  it('counts work that throws, and never less than the timed work itself', () => {
    let now = 0;
    const meter = createCpuMeter(null, () => now);
    expect(() =>
      meter.time(() => {
        now += 5;
        throw new Error('encoder failed');
      }),
    ).toThrow('encoder failed');
    expect(meter.usedMs()).toBeGreaterThanOrEqual(5);
    expect(CPU_ESTIMATE.timedWorkFactor).toBeGreaterThanOrEqual(1);
  });
});
