import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';

export type JwksCacheOptions = {
  /** Reads the project's published keys (`GET /auth/v1/.well-known/jwks.json`). */
  fetchKeySet: () => Promise<JSONWebKeySet>;
  /** Least time between two fetches, whatever asks for them: forged kids cannot turn into fetches. */
  minRefreshIntervalMs: number;
  /** A key set this old is fetched again before use, so revocations are seen even if nobody reports one. */
  maxAgeMs: number;
  now?: () => number;
};

/** The published keys, ready for `jwtVerify`: jose picks the key by `kid` and checks it suits the `alg`. */
export type PublishedKeys = { kids: ReadonlySet<string>; getKey: JWTVerifyGetKey };

export class JwksUnavailableError extends Error {}

/**
 * The project's JWT verification keys, cached, and refreshed when a token names a `kid` the cache does
 * not hold, when a Supabase service refused a token the cache's keys accepted (its key was revoked since
 * the last fetch), or when the set is older than `maxAgeMs`.
 *
 * It cannot be stampeded: every caller that wants a refresh while one is in flight waits for that one,
 * and no fetch starts within `minRefreshIntervalMs` of the previous one (failed or not), so a burst of
 * tokens with random kids costs Auth at most one request per interval. A failed fetch keeps the keys
 * already known: a blip at Auth does not sign anybody out.
 */
export class JwksCache {
  private keys: PublishedKeys | null = null;
  private fetchedAt = -Infinity;
  private lastAttemptAt = -Infinity;
  private inFlight: Promise<void> | null = null;
  /** A service refused a token these keys accepted: refresh as soon as the interval allows. */
  private outdated = false;
  private readonly now: () => number;

  constructor(private readonly options: JwksCacheOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * The keys to verify a token with `kid` against. Throws JwksUnavailableError when no key set could be
   * read yet (Auth unreachable since the start).
   */
  async keysFor(kid: string): Promise<PublishedKeys> {
    if (!this.keys || this.outdated || this.now() - this.fetchedAt >= this.options.maxAgeMs) await this.refresh();
    if (!this.keys?.kids.has(kid)) await this.refresh();
    if (!this.keys) throw new JwksUnavailableError('The project’s signing keys could not be read');
    return this.keys;
  }

  /**
   * A Supabase service refused a token this cache's keys verified: its key `kid` was revoked since the
   * last fetch. Tokens of that key are refused from now on, and the next lookup refreshes the set as
   * soon as the interval allows; should Auth still publish the key, that refresh trusts it again.
   */
  reportRefusedToken(kid: string): void {
    if (!this.keys?.kids.has(kid)) return;
    const kids = new Set(this.keys.kids);
    kids.delete(kid);
    this.keys = { ...this.keys, kids };
    this.outdated = true;
  }

  private refresh(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    const now = this.now();
    if (now - this.lastAttemptAt < this.options.minRefreshIntervalMs) return Promise.resolve();
    this.lastAttemptAt = now;
    this.inFlight = this.options
      .fetchKeySet()
      .then((set) => {
        this.keys = {
          kids: new Set(set.keys.flatMap((key) => (typeof key.kid === 'string' ? [key.kid] : []))),
          getKey: createLocalJWKSet(set),
        };
        this.fetchedAt = this.now();
        this.outdated = false;
      })
      .catch((error: unknown) => {
        console.warn('[auth] could not refresh the JWT signing keys; keeping the ones known', error);
      })
      .finally(() => {
        this.inFlight = null;
      });
    return this.inFlight;
  }
}
