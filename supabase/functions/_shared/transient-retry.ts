/**
 * A state-machine call whose transaction Postgres rolled back on its own — a deadlock it broke
 * (`40P01`) or a serialization failure (`40001`) — changed nothing and is simply sent again, at once
 * and then after a short jittered pause: it is contention, not a fault of the lane, and must not cost
 * the lane an attempt and a backoff (five in a row would fail the job).
 */
const ROLLED_BACK = new Set(['40P01', '40001']);
/** Sends after the first: 4 more, over ~0.3 s at most. */
const RETRIES = 4;
const BASE_DELAY_MS = 10;

type Answer = { error: { code?: string | null } | null };

export async function retryRolledBack<T extends Answer>(
  send: () => PromiseLike<T>,
  pause: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: () => number = Math.random,
): Promise<T> {
  for (let retry = 0; ; retry += 1) {
    const answer = await send();
    const code = answer.error?.code;
    if (!code || !ROLLED_BACK.has(code) || retry === RETRIES) return answer;
    if (retry > 0) await pause(BASE_DELAY_MS * 2 ** retry * (0.5 + random()));
  }
}
