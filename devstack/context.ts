import type { Pool } from 'pg';
import type { DevstackConfig } from './config';
import type { FaultInjector } from './faults';
import type { JwtService } from './jwt';

/** The project's keys: written to `.env.local` on first start and reused after. */
export type DevstackKeys = {
  jwtSecret: string;
  anonKey: string;
  serviceRoleKey: string;
};

/** Everything a devstack service needs; built once by `startDevstack`. */
export type DevstackContext = {
  config: DevstackConfig;
  keys: DevstackKeys;
  /** Superuser pool. Services that act for a caller must `set local role` inside a transaction. */
  db: Pool;
  jwt: JwtService;
  faults: FaultInjector;
  /** `http://host:apiPort`, i.e. SUPABASE_URL. */
  apiUrl: string;
  /** `http://host:typesensePort`. */
  typesenseUrl: string;
  log: (service: string, message: string) => void;
};
