import type { AttemptOutcome, ClaimedDelivery } from './attempt-delivery.ts';
import { nextAttemptAt, type RetryPolicy } from './retry-schedule.ts';

export type DeliveryPorts = {
  claim: (limit: number) => Promise<ClaimedDelivery[]>;
  attempt: (delivery: ClaimedDelivery) => Promise<AttemptOutcome>;
  record: (delivery: ClaimedDelivery, outcome: AttemptOutcome, nextAttemptAt: Date | null) => Promise<void>;
  now: () => Date;
};

/** 20 at a time: an invocation's sockets and CPU stay small, and other invocations share a backlog. */
export const DELIVERY_BATCH = 20;

/**
 * Claims due deliveries batch by batch, attempts each batch concurrently and records every outcome, until
 * nothing is due or the time budget has passed. Returns how many attempts it made.
 */
export async function deliverDueWebhooks(
  ports: DeliveryPorts,
  options: { retry: RetryPolicy; timeBudgetMs: number },
): Promise<number> {
  const deadline = ports.now().getTime() + options.timeBudgetMs;
  let attempts = 0;
  while (ports.now().getTime() < deadline) {
    const batch = await ports.claim(DELIVERY_BATCH);
    if (batch.length === 0) break;
    await Promise.all(
      batch.map(async (delivery) => {
        const outcome = await ports.attempt(delivery);
        const next = outcome.succeeded
          ? null
          : nextAttemptAt(delivery.attempt, new Date(delivery.retry_window_from), ports.now(), options.retry);
        await ports.record(delivery, outcome, next);
      }),
    );
    attempts += batch.length;
  }
  return attempts;
}
