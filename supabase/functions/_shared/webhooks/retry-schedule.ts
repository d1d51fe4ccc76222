/**
 * When a failed delivery is tried again: exponential backoff (first delay, doubling, each delay capped),
 * for as long as the retry window lasts from when the delivery was queued (or sent again). Production:
 * 5 s, 10 s, 20 s … capped at 6 h, for a day: about 17 attempts, the last ones a few hours apart.
 */
export type RetryPolicy = { firstDelayMs: number; maxDelayMs: number; windowMs: number };

export const PRODUCTION_RETRY_POLICY: RetryPolicy = {
  firstDelayMs: 5_000,
  maxDelayMs: 6 * 3_600_000,
  windowMs: 24 * 3_600_000,
};

/** When attempt `attempt` (1-based) having failed at `now`, the next one is due; null: give up. */
export function nextAttemptAt(attempt: number, windowFrom: Date, now: Date, policy: RetryPolicy): Date | null {
  const delay = Math.min(policy.firstDelayMs * 2 ** Math.max(0, attempt - 1), policy.maxDelayMs);
  const windowEnd = windowFrom.getTime() + policy.windowMs;
  if (now.getTime() >= windowEnd) return null;
  // The last attempt lands at the window's end rather than past it.
  return new Date(Math.min(now.getTime() + delay, windowEnd));
}
