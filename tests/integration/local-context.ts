import type pg from 'pg';
import { readDevstackConfig, type DevstackConfig } from '../../devstack/config';
import type { DevstackContext } from '../../devstack/context';
import { FaultInjector } from '../../devstack/faults';
import { JwtService } from '../../devstack/jwt';
import { loadOrCreateKeys } from '../../devstack/keys';
import { testStack } from './stack-info';

/**
 * A DevstackContext for mounting one service on a test's own server (small limits, memory probes),
 * with the shared stack's keys, so the same API keys and tokens work against it.
 */
export async function localContext(options: {
  db: pg.Pool;
  apiUrl: string;
  config?: Partial<DevstackConfig>;
  log?: DevstackContext['log'];
}): Promise<DevstackContext> {
  const stack = testStack();
  const config = readDevstackConfig({}, { apiKeyMode: stack.apiKeyMode, ...options.config });
  const keys = await loadOrCreateKeys(stack.dataDir);
  return {
    config,
    keys,
    db: options.db,
    restDb: options.db,
    jwt: new JwtService(keys, config.apiKeyMode),
    faults: new FaultInjector(),
    apiUrl: options.apiUrl,
    typesenseUrl: stack.typesenseUrl,
    log: options.log ?? (() => {}),
  };
}
