import type { Pool } from 'pg';
import type { DevstackConfig } from './config';
import type { FaultInjector } from './faults';
import type { JwtService } from './jwt';
import type { DevstackKeys } from './keys';

/** Everything a devstack service needs; built once by `startDevstack`. */
export type DevstackContext = {
  config: DevstackConfig;
  /** Every key of the project; `.env.local` gets the ones `config.apiKeyMode` hands out (see `projectApiKeys`). */
  keys: DevstackKeys;
  /** Superuser pool. Services that act for a caller must `set local role` inside a transaction. */
  db: Pool;
  /**
   * The REST service's own pool, of `config.restPoolSize` connections, as PostgREST has its own: a request
   * that finds every connection busy waits, and after 10 s is answered 504 PGRST003.
   */
  restDb: Pool;
  /** Signs and verifies user tokens; owns the signing keys and their rotation. */
  jwt: JwtService;
  faults: FaultInjector;
  /** `http://host:apiPort`, i.e. SUPABASE_URL. */
  apiUrl: string;
  /** `http://host:typesensePort`. */
  typesenseUrl: string;
  log: (service: string, message: string) => void;
};

/**
 * The two keys the project hands out, whatever their kind: the publishable and secret keys of a 2026
 * project, or the anon and service-role JWTs of a legacy one. The app, the worker, the bench and the
 * tests use these, so one switch (`DEVSTACK_API_KEYS`) moves all of them between the two.
 */
export function projectApiKeys(ctx: Pick<DevstackContext, 'keys' | 'config'>): { publishable: string; secret: string } {
  return ctx.config.apiKeyMode === 'legacy'
    ? { publishable: ctx.keys.anonKey, secret: ctx.keys.serviceRoleKey }
    : { publishable: ctx.keys.publishableKey, secret: ctx.keys.secretKey };
}
