import type { ConnectionState } from './connection-state';

/**
 * How long a running job may go without any update before the view stops calling itself live. The
 * worker writes progress every 0.5 s while shards land and at least once per shard; a source page
 * retried with backoff can take several seconds, so 15 s of silence is no longer plausible.
 */
export const SILENT_AFTER_MS = 15_000;

export type Liveness = {
  state: ConnectionState;
  /** Why the view is not live: the browser is offline, the channel is down, or nothing arrived. */
  reason: 'offline' | 'channel' | 'silent' | null;
  /** When the job row last arrived (Realtime or a fetch), in client time; null before the first. */
  lastUpdateAt: number | null;
  /** The numbers on screen may be out of date: dim them, stop the ETA. */
  stale: boolean;
};

/**
 * The connection state a person should see, from the channel's own state, the browser's online flag
 * and the time since the last update while the job is running. "Live" only when all three agree.
 */
export function liveness(input: {
  channel: ConnectionState;
  online: boolean;
  /** The job is running: updates are expected every few seconds. */
  expectingUpdates: boolean;
  lastUpdateAt: number | null;
  now: number;
  silentAfterMs?: number;
}): Liveness {
  const { channel, online, expectingUpdates, lastUpdateAt, now } = input;
  const silentAfter = input.silentAfterMs ?? SILENT_AFTER_MS;
  if (!online) return { state: 'reconnecting', reason: 'offline', lastUpdateAt, stale: expectingUpdates };
  if (channel === 'reconnecting')
    return { state: 'reconnecting', reason: 'channel', lastUpdateAt, stale: expectingUpdates };
  // Silence counts whatever the channel says while it (re)joins: a join can hang as long as a dead socket.
  const silent = expectingUpdates && lastUpdateAt !== null && now > 0 && now - lastUpdateAt > silentAfter;
  if (silent) return { state: 'reconnecting', reason: 'silent', lastUpdateAt, stale: true };
  if (channel === 'connecting') return { state: 'connecting', reason: null, lastUpdateAt, stale: false };
  return { state: 'live', reason: null, lastUpdateAt, stale: false };
}
