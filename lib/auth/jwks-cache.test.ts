import type { JSONWebKeySet } from 'jose';
import { describe, expect, it, vi } from 'vitest';
import { JwksCache, JwksUnavailableError } from './jwks-cache';

const INTERVAL_MS = 10_000;
const MAX_AGE_MS = 600_000;

const keySet = (...kids: string[]): JSONWebKeySet => ({
  keys: kids.map((kid) => ({ kty: 'EC', crv: 'P-256', kid, x: 'x', y: 'y' })),
});

/** A cache over a fake Auth, on a clock the test moves; `hold()` keeps Auth's answers back until released. */
function harness(published: () => JSONWebKeySet | Error) {
  let clock = 1_000_000;
  let gate: Promise<void> = Promise.resolve();
  const fetchKeySet = vi.fn(async () => {
    await gate;
    const answer = published();
    if (answer instanceof Error) throw answer;
    return answer;
  });
  const cache = new JwksCache({
    fetchKeySet,
    minRefreshIntervalMs: INTERVAL_MS,
    maxAgeMs: MAX_AGE_MS,
    now: () => clock,
  });
  return {
    cache,
    fetchKeySet,
    advance: (ms: number) => (clock += ms),
    hold: () => {
      let release = () => {};
      gate = new Promise((resolve) => (release = resolve));
      return release;
    },
  };
}

describe('JwksCache', () => {
  it('fetches once for many concurrent unknown kids, and not again within its interval', async () => {
    let published = keySet('current');
    const h = harness(() => published);
    await h.cache.keysFor('current');
    expect(h.fetchKeySet).toHaveBeenCalledTimes(1);

    h.advance(INTERVAL_MS); // the first fetch no longer holds back the next
    published = keySet('current', 'standby');
    const release = h.hold();
    const forged = Array.from({ length: 50 }, (_, i) => h.cache.keysFor(`forged-${i}`));
    await vi.waitFor(() => expect(h.fetchKeySet).toHaveBeenCalledTimes(2)); // in flight while all 50 wait
    release();
    const results = await Promise.all(forged);
    expect(h.fetchKeySet).toHaveBeenCalledTimes(2); // one refresh, shared:
    for (const keys of results) expect([...keys.kids]).toEqual(['current', 'standby']); // all 50 waited for it

    h.advance(INTERVAL_MS - 1);
    for (let i = 0; i < 20; i++) expect((await h.cache.keysFor(`forged-again-${i}`)).kids.has('current')).toBe(true);
    expect(h.fetchKeySet).toHaveBeenCalledTimes(2); // within the interval: no fetch at all

    h.advance(1);
    await h.cache.keysFor('forged-later');
    expect(h.fetchKeySet).toHaveBeenCalledTimes(3);
  });

  it('serves known kids from the cache until the set is older than its max age', async () => {
    const h = harness(() => keySet('current'));
    await h.cache.keysFor('current');
    h.advance(MAX_AGE_MS - 1);
    await h.cache.keysFor('current');
    expect(h.fetchKeySet).toHaveBeenCalledTimes(1);
    h.advance(1);
    await h.cache.keysFor('current');
    expect(h.fetchKeySet).toHaveBeenCalledTimes(2);
  });

  it('learns a new kid at once: a key rotated to since the last fetch', async () => {
    let published = keySet('old');
    const h = harness(() => published);
    await h.cache.keysFor('old');
    published = keySet('old', 'new');
    h.advance(INTERVAL_MS);
    expect((await h.cache.keysFor('new')).kids.has('new')).toBe(true);
  });

  it('distrusts the key of a token a service refused, and refreshes as soon as the interval allows', async () => {
    let published = keySet('current', 'leaked');
    const h = harness(() => published);
    await h.cache.keysFor('leaked');
    published = keySet('current'); // revoked at Auth; the cache still holds it
    h.cache.reportRefusedToken('leaked');

    // Refused at once, without a fetch: the interval since the last one has not passed.
    expect((await h.cache.keysFor('leaked')).kids.has('leaked')).toBe(false);
    expect((await h.cache.keysFor('current')).kids.has('current')).toBe(true);
    expect(h.fetchKeySet).toHaveBeenCalledTimes(1);

    h.advance(INTERVAL_MS);
    await h.cache.keysFor('current'); // a known kid, but the set is outdated: refreshed
    expect(h.fetchKeySet).toHaveBeenCalledTimes(2);
    h.advance(INTERVAL_MS);
    await h.cache.keysFor('current');
    expect(h.fetchKeySet).toHaveBeenCalledTimes(2); // the report was consumed by that refresh
  });

  it('trusts a refused key again if Auth still publishes it at the next refresh', async () => {
    const h = harness(() => keySet('current'));
    await h.cache.keysFor('current');
    h.cache.reportRefusedToken('current'); // e.g. a service that had not loaded the key yet
    expect((await h.cache.keysFor('current')).kids.has('current')).toBe(false);
    h.advance(INTERVAL_MS);
    expect((await h.cache.keysFor('current')).kids.has('current')).toBe(true);
  });

  it('keeps the keys it knows when a refresh fails; with none known, says Auth is unavailable', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    let published: JSONWebKeySet | Error = new Error('connection refused');
    const h = harness(() => published);
    await expect(h.cache.keysFor('current')).rejects.toBeInstanceOf(JwksUnavailableError);

    h.advance(INTERVAL_MS);
    published = keySet('current');
    await h.cache.keysFor('current');
    published = new Error('connection refused');
    h.advance(MAX_AGE_MS);
    expect((await h.cache.keysFor('current')).kids.has('current')).toBe(true);
    expect(h.fetchKeySet).toHaveBeenCalledTimes(3);
  });
});
