import { z } from 'zod';

/**
 * Fault and latency injection for the Typesense and Storage stand-ins, so tests and benchmarks can
 * model a remote service (e.g. 20 ms a request) or a flaky one. Rates are probabilities per request;
 * `failNext` fails exactly the next N requests, which makes transient-fault tests deterministic.
 */
export const faultTargets = ['typesense', 'storage'] as const;
export type FaultTarget = (typeof faultTargets)[number];

export const faultSettingsSchema = z
  .object({
    latencyMs: z.number().int().min(0).max(60_000),
    errorRate: z.number().min(0).max(1),
    timeoutRate: z.number().min(0).max(1),
    failNext: z.number().int().min(0),
    /** Only requests whose (decoded) path and query contain this text are affected; '' = all. */
    match: z.string().max(500),
  })
  .strict();
export type FaultSettings = z.infer<typeof faultSettingsSchema>;

const noFaults: FaultSettings = { latencyMs: 0, errorRate: 0, timeoutRate: 0, failNext: 0, match: '' };

/** What a service should do with the current request. */
export type FaultDecision = 'pass' | 'error' | 'timeout';

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '));
  } catch {
    return text;
  }
}

export class FaultInjector {
  private readonly settings = new Map<FaultTarget, FaultSettings>(faultTargets.map((t) => [t, { ...noFaults }]));

  get(target: FaultTarget): FaultSettings {
    return { ...(this.settings.get(target) ?? noFaults) };
  }

  set(target: FaultTarget, patch: Partial<FaultSettings>): FaultSettings {
    const next = faultSettingsSchema.parse({ ...this.get(target), ...patch });
    this.settings.set(target, next);
    return next;
  }

  reset(): void {
    for (const t of faultTargets) this.settings.set(t, { ...noFaults });
  }

  /**
   * Waits the configured latency, then decides whether this request fails. `request` is the request's
   * path and query: with `match` set, a test can aim its faults at its own job while other work goes on.
   */
  async decide(target: FaultTarget, request: string): Promise<FaultDecision> {
    const s = this.get(target);
    if (s.match && !safeDecode(request).includes(s.match)) return 'pass';
    if (s.latencyMs > 0) await new Promise((r) => setTimeout(r, s.latencyMs));
    if (s.failNext > 0) {
      this.set(target, { failNext: s.failNext - 1 });
      return 'error';
    }
    const roll = Math.random();
    if (roll < s.errorRate) return 'error';
    if (roll < s.errorRate + s.timeoutRate) return 'timeout';
    return 'pass';
  }
}
