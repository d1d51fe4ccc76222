import { inject } from 'vitest';
import type { ApiKeyMode } from '../../devstack/jwt';

/** What the integration global setup tells every test file about the running devstack. */
export type TestStack = {
  apiUrl: string;
  typesenseUrl: string;
  /** The bootstrap key: may do anything. */
  typesenseApiKey: string;
  /** A stored key allowed only `documents:search`: the parent of scoped keys. */
  typesenseSearchKey: string;
  /** The keys the project hands out: `sb_publishable_…` / `sb_secret_…`, or the legacy anon / service-role JWTs. */
  publishableKey: string;
  secretKey: string;
  apiKeyMode: ApiKeyMode;
  pgConnectionString: string;
  /** Holds `keys.json`: tests sign user tokens with the project's current signing key, as Auth does. */
  dataDir: string;
};

declare module 'vitest' {
  export interface ProvidedContext {
    stack: TestStack;
  }
}

export function testStack(): TestStack {
  return inject('stack');
}
