import { describe, expect, it } from 'vitest';
import { liveness, SILENT_AFTER_MS } from './liveness';

const base = { channel: 'live' as const, online: true, expectingUpdates: true, lastUpdateAt: 1_000, now: 2_000 };

describe('liveness', () => {
  it('is live only while the channel is subscribed, the browser online and updates keep coming', () => {
    expect(liveness(base)).toEqual({ state: 'live', reason: null, lastUpdateAt: 1_000, stale: false });
  });

  it('says reconnecting when the browser is offline, even if the channel still claims to be subscribed', () => {
    expect(liveness({ ...base, online: false })).toMatchObject({
      state: 'reconnecting',
      reason: 'offline',
      stale: true,
    });
  });

  it('says reconnecting when the channel is down', () => {
    expect(liveness({ ...base, channel: 'reconnecting' })).toMatchObject({ reason: 'channel', stale: true });
  });

  it('calls a subscribed channel that went silent while the job runs what it is: not live', () => {
    const silent = { ...base, now: 1_000 + SILENT_AFTER_MS + 1 };
    expect(liveness(silent)).toMatchObject({ state: 'reconnecting', reason: 'silent', stale: true });
    expect(liveness({ ...base, now: 1_000 + SILENT_AFTER_MS })).toMatchObject({ state: 'live' });
    // A finished job sends nothing more: silence is not staleness then.
    expect(liveness({ ...silent, expectingUpdates: false })).toMatchObject({ state: 'live', stale: false });
  });

  it('does not call numbers stale for a finished job while reconnecting', () => {
    expect(liveness({ ...base, expectingUpdates: false, online: false })).toMatchObject({
      state: 'reconnecting',
      stale: false,
    });
  });
});
