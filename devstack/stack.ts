import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createAuthHandler } from './auth/handler';
import { readDevstackConfig, type DevstackConfig } from './config';
import type { DevstackContext } from './context';
import { FaultInjector } from './faults';
import { createFunctionsHandler } from './functions/handler';
import { createAdminHandler } from './http/admin';
import { checkGateway } from './http/caller';
import { applyCors } from './http/cors';
import { sendJson } from './http/respond';
import type { RouteHandler } from './http/route';
import { JwtService } from './jwt';
import { loadOrCreateKeys, saveKeys } from './keys';
import { migrate } from './migrate';
import { startPostgres } from './postgres';
import { attachRealtime, type RealtimeService } from './realtime/server';
import { createRestHandler } from './rest/handler';
import { createStorageHandler } from './storage/handler';
import { ensureStorageSchema } from './storage/schema';
import { startSweep } from './sweep';
import { startWebhookKicks } from './webhook-kicks';
import { startTypesenseServer } from './typesense/server';

export const projectRoot = path.resolve(import.meta.dirname, '..');

export type StartOptions = {
  config?: Partial<DevstackConfig>;
  /** Wipe the data dir first. */
  reset?: boolean;
  quiet?: boolean;
  /** A second folder of functions served beside `supabase/functions` (test fixtures). */
  extraFunctionsDir?: string;
  /** Further Postgres server settings (benchmarks: `pg_stat_statements`). */
  postgresSettings?: Record<string, string>;
};

export type Devstack = {
  context: DevstackContext;
  /** Versions of migrations applied by this start. */
  appliedMigrations: string[];
  stop: () => Promise<void>;
};

/**
 * Starts the whole local stand-in for hosted Supabase + Typesense: Postgres, then the Supabase API
 * (REST, Auth, Storage, Realtime, Functions) on one port and the Typesense-compatible server on another.
 */
export async function startDevstack(options: StartOptions = {}): Promise<Devstack> {
  const config = readDevstackConfig(process.env, options.config);
  const postgres = await startPostgres({
    dataDir: config.dataDir,
    port: config.pgPort,
    reset: options.reset ?? false,
    settings: options.postgresSettings,
  });
  const keys = await loadOrCreateKeys(config.dataDir);
  // Hosted projects have the storage schema before any migration runs; migrations may insert buckets.
  await ensureStorageSchema(postgres.pool);
  // A failed migration (or a database from another migration history) stops the server it started.
  const appliedMigrations = await migrate(postgres.pool, path.join(projectRoot, 'supabase', 'migrations')).catch(
    async (error: unknown) => {
      await postgres.stop();
      throw error;
    },
  );

  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(config.apiPort, config.host, resolve));
  const apiPort = (server.address() as AddressInfo).port;

  const context: DevstackContext = {
    config: { ...config, apiPort },
    keys,
    db: postgres.pool,
    restDb: postgres.restPool(config.restPoolSize),
    jwt: new JwtService(keys, config.apiKeyMode, (changed) => saveKeys(config.dataDir, changed)),
    faults: new FaultInjector(),
    apiUrl: `http://${config.host}:${apiPort}`,
    typesenseUrl: '',
    log: (service, message) => {
      if (!options.quiet) console.log(`[${service}] ${message}`);
    },
  };

  const typesense = await startTypesenseServer(context);
  context.typesenseUrl = typesense.url;
  context.config.typesensePort = Number(new URL(typesense.url).port);

  const functions = createFunctionsHandler(context, {
    functionsDirs: [
      path.join(projectRoot, 'supabase', 'functions'),
      ...(options.extraFunctionsDir ? [options.extraFunctionsDir] : []),
    ],
    configTomlPath: path.join(projectRoot, 'supabase', 'config.toml'),
  });
  const storage = createStorageHandler(context);
  // Attached to the server below, once it routes requests; the admin endpoints reach it through this.
  let realtime: RealtimeService | null = null;
  const realtimeService = (): RealtimeService => {
    if (!realtime) throw new Error('Realtime is not attached yet');
    return realtime;
  };
  // Which routes the API gateway checks the apikey of. Functions judge their callers themselves
  // (verify_jwt per function, then the function's own code); the JWKS is public (docs/protocols-2026.md §2.1).
  const routes: Array<[prefix: string, handler: RouteHandler, gateway: boolean]> = [
    ['/rest/v1', createRestHandler(context), true],
    ['/auth/v1', createAuthHandler(context), true],
    ['/storage/v1', storage, true],
    ['/functions/v1', functions, false],
    [
      '/_devstack',
      createAdminHandler(context, {
        killFunction: (name) => functions.killAll(name),
        functionUsage: (name) => functions.usage(name),
        storageReads: (match) => storage.readsMatching(match),
        realtimeUsage: () => realtimeService().usage(),
        configureRealtime: (patch) => realtimeService().configure(patch),
        restoreRealtime: () => realtimeService().restore(),
      }),
      false,
    ],
  ];
  // The JWKS is public: verifiers fetch it without a key.
  const isKeyless = (pathname: string) => pathname === '/auth/v1/.well-known/jwks.json' || pathname === '/auth/v1/jwks';

  server.on('request', (req, res) => {
    if (applyCors(req, res)) return;
    const url = new URL(req.url ?? '/', context.apiUrl);
    // Route on the raw path: `new URL()` resolves `..` and `%2e%2e`, which would send
    // `/storage/v1/x/../../rest/v1/t` to another service. The service itself judges its dot segments.
    const rawPath = (req.url ?? '/').split('?')[0] ?? '/';
    const matches = (path: string, prefix: string) => path === prefix || path.startsWith(`${prefix}/`);
    const route = routes.find(([prefix]) => matches(rawPath, prefix));
    if (!route) {
      sendJson(res, 404, { message: 'no Route matched with those values' });
      return;
    }
    const [prefix, handler, gateway] = route;
    if (!matches(url.pathname, prefix)) {
      sendJson(res, 400, { message: 'Dot segments may not leave the service path' });
      return;
    }
    const rejected = gateway && !isKeyless(url.pathname) ? checkGateway(context, req, url) : null;
    if (rejected) {
      sendJson(res, rejected.status, rejected.body, rejected.headers);
      return;
    }
    const subpath = url.pathname.slice(prefix.length) || '/';
    handler(req, res, subpath, url).catch((error: unknown) => {
      console.error(`[devstack] ${req.method} ${url.pathname}:`, error);
      if (!res.headersSent) sendJson(res, 500, { message: 'Internal devstack error' });
      else res.destroy();
    });
  });

  const attached = await attachRealtime(context, server);
  realtime = attached;
  const sweep = startSweep(context);
  const webhookKicks = startWebhookKicks(context);

  return {
    context,
    appliedMigrations,
    stop: async () => {
      sweep.stop();
      await webhookKicks.stop();
      await functions.close();
      await attached.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await typesense.close();
      await postgres.stop();
    },
  };
}
