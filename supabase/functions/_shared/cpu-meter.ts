/**
 * The isolate's CPU time since a request arrived: what the platform's CPU limit counts (hosted: 2 s a
 * request; some Supabase notes quote 200 ms), and what the worker budgets on so that it hands off before
 * the platform stops it mid-page.
 *
 * Hosted Edge Functions cannot read it. Their runtime (Supabase's edge-runtime, at the level of Deno 2.1)
 * has no `process.threadCpuUsage`, and its `process.cpuUsage()` warns and answers zeros. So where the runtime
 * has a thread clock (upstream Deno and Node do), the meter reads it; elsewhere it estimates: the wall time
 * of the synchronous work the worker does on the isolate's thread (encoding, gzip, parsing) — while such
 * work runs, the thread does nothing else, so its wall time is CPU time — times a margin for what it does
 * not time (garbage collection, the HTTP client, promise plumbing), plus a fixed cost per network exchange.
 */
export type CpuMeter = {
  /** `thread-clock`: read from the runtime; `estimate`: timed work and exchanges, as below. */
  readonly source: 'thread-clock' | 'estimate';
  /** CPU used since the meter was made, in ms. */
  usedMs(): number;
  /** Runs synchronous work on the isolate's thread and counts its time. */
  time<T>(work: () => T): T;
  /** Counts one network exchange (a search, an upload, a state-machine call) handled on the thread. */
  countExchange(): void;
  /** CPU each request costs beyond what the meter sees, added once per request (0 on a thread clock). */
  readonly perRequestMs: number;
};

/**
 * The estimate's constants, measured on the hosted-level runtime (Deno 2.1.4) against the isolate thread's
 * real CPU as the devstack reads it from /proc (the platform's view): `npm run bench` reports the ratio of
 * estimate to measurement (`hosted_cpu_estimate_vs_measured`), which must stay ≥ 1 for the budget to be safe.
 */
export const CPU_ESTIMATE = {
  /** Measured CPU ÷ timed synchronous work, with headroom. */
  timedWorkFactor: 1.5,
  /** CPU of one exchange outside timed work (request building, headers, the response's bytes), ms. */
  perExchangeMs: 1.5,
  /**
   * CPU of a request that nothing times, ms: on a fresh isolate the first run of each code path (the
   * claim, the clients' request code, zod's parsers) is compiled lazily, and the first pages' garbage is
   * collected. At a 200 ms limit this is what the estimate missed: (measured − estimate) ÷ invocations was
   * 29 ms (bench 6b, 2026-12-07, estimate ÷ measured 0.82, 4.9 isolates per 100 stopped); 40 with headroom.
   * Next to a 2 s limit it is noise.
   */
  perRequestMs: 40,
} as const;

/** A meter on a thread clock (ms of CPU the thread has used so far), or on the estimate where there is none. */
export function createCpuMeter(
  threadClockMs: (() => number) | null,
  now: () => number = () => performance.now(),
): CpuMeter {
  if (threadClockMs) {
    const start = threadClockMs();
    return {
      source: 'thread-clock',
      usedMs: () => threadClockMs() - start,
      time: (work) => work(),
      countExchange: () => {},
      perRequestMs: 0,
    };
  }
  let timedMs = 0;
  let exchanges = 0;
  return {
    source: 'estimate',
    usedMs: () => timedMs * CPU_ESTIMATE.timedWorkFactor + exchanges * CPU_ESTIMATE.perExchangeMs,
    time: (work) => {
      const started = now();
      try {
        return work();
      } finally {
        timedMs += now() - started;
      }
    },
    countExchange: () => {
      exchanges += 1;
    },
    perRequestMs: CPU_ESTIMATE.perRequestMs,
  };
}
