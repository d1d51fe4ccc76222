import { z } from 'zod';
import { PRODUCTION_RETRY_POLICY, type RetryPolicy } from './retry-schedule.ts';

/** An endpoint whose every attempt failed for this long is disabled (3 days). */
const DISABLE_AFTER_MS = 3 * 24 * 3_600_000;

const integer = (min: number, max: number) =>
  z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().min(min).max(max).optional());

const envSchema = z.object({
  BATON_WEBHOOK_TIMEOUT_MS: integer(100, 60_000),
  BATON_WEBHOOK_RETRY_FIRST_DELAY_MS: integer(10, 3_600_000),
  BATON_WEBHOOK_RETRY_MAX_DELAY_MS: integer(10, 86_400_000),
  BATON_WEBHOOK_RETRY_WINDOW_MS: integer(100, 7 * 86_400_000),
  BATON_WEBHOOK_TIME_BUDGET_MS: integer(500, 300_000),
  // Devstack only: receivers on this machine (tests). Production leaves it unset.
  BATON_WEBHOOK_ALLOW_LOOPBACK: z.enum(['true', 'false', '']).optional(),
});

export type WebhookSettings = {
  timeoutMs: number;
  retry: RetryPolicy;
  disableAfterMs: number;
  /** An invocation stops claiming after this long, so it ends well within the wall clock. */
  timeBudgetMs: number;
  allowLoopback: boolean;
};

export function parseWebhookSettings(env: Record<string, string | undefined>): WebhookSettings {
  const e = envSchema.parse(env);
  return {
    // 10 s: a receiver should answer fast and queue its own work (Standard Webhooks' advice: 15 s or less).
    timeoutMs: e.BATON_WEBHOOK_TIMEOUT_MS ?? 10_000,
    retry: {
      firstDelayMs: e.BATON_WEBHOOK_RETRY_FIRST_DELAY_MS ?? PRODUCTION_RETRY_POLICY.firstDelayMs,
      maxDelayMs: e.BATON_WEBHOOK_RETRY_MAX_DELAY_MS ?? PRODUCTION_RETRY_POLICY.maxDelayMs,
      windowMs: e.BATON_WEBHOOK_RETRY_WINDOW_MS ?? PRODUCTION_RETRY_POLICY.windowMs,
    },
    disableAfterMs: DISABLE_AFTER_MS,
    timeBudgetMs: e.BATON_WEBHOOK_TIME_BUDGET_MS ?? 60_000,
    allowLoopback: e.BATON_WEBHOOK_ALLOW_LOOPBACK === 'true',
  };
}
