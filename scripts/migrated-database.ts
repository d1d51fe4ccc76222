import { rm } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import { freePort } from '../devstack/free-port';
import { applySupabaseBase, migrate } from '../devstack/migrate';
import { startPostgres, type RunningPostgres } from '../devstack/postgres';
import { ensureStorageSchema } from '../devstack/storage/schema';

/**
 * What the generators of files derived from the migrations share (`npm run db:types`,
 * `npm run db:schema`): the database they read is the one the devstack builds before the app runs.
 */
export const projectRoot = path.resolve(import.meta.dirname, '..');
export const MIGRATIONS_DIR = path.join(projectRoot, 'supabase', 'migrations');

/** What a hosted project has before its first migration, as the devstack recreates it: base and storage. */
export async function applyPlatformBase(pool: pg.Pool): Promise<void> {
  await ensureStorageSchema(pool);
  await applySupabaseBase(pool);
}

/** Applies what the devstack applies before the app runs: the platform's base, storage, migrations. */
export async function applyMigrations(pool: pg.Pool, migrationsDir: string = MIGRATIONS_DIR): Promise<void> {
  await ensureStorageSchema(pool);
  await migrate(pool, migrationsDir);
}

/** A throwaway embedded Postgres (an empty cluster) for a command-line generator. */
export async function withScratchPostgres<T>(
  label: string,
  run: (postgres: RunningPostgres) => Promise<T>,
): Promise<T> {
  // Under .devstack like every devstack data dir: Postgres runs as its own system user when we are root.
  const dataDir = path.join(projectRoot, '.devstack', `${label}-${process.pid}`);
  const postgres = await startPostgres({ dataDir, port: await freePort(), reset: true });
  try {
    return await run(postgres);
  } finally {
    await postgres.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Whether this module is the script node was started with (`tsx scripts/x.ts`). */
export function isMain(importMetaUrl: string): boolean {
  return importMetaUrl === `file://${process.argv[1]}`;
}
