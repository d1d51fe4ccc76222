import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_TYPES_FILE, generateDatabaseTypes, migrateForTypes } from '../../scripts/database-types';
import { testStack } from './stack-info';

/**
 * The committed `Database` type is what Supabase's generator makes of the migrations today. A fresh
 * database on the suite's Postgres (the shared one holds test tables) gets the base and every migration,
 * then @supabase/postgres-meta generates; any difference means a migration changed without
 * `npm run db:types`.
 */
const stack = testStack();
const name = `types_check_${process.pid}`;
const admin = new pg.Pool({ connectionString: stack.pgConnectionString, max: 1 });
const url = new URL(stack.pgConnectionString);
url.pathname = `/${name}`;
const fresh = new pg.Pool({ connectionString: url.toString(), max: 2 });
// `drop database … with (force)` may still find a backend of this pool closing down and terminate it
// (57P01, "administrator command"): that is our own clean-up, not a failure.
fresh.on('error', (error: Error & { code?: string }) => {
  if (error.code !== '57P01') throw error;
});

beforeAll(async () => {
  await admin.query(`drop database if exists ${name}`);
  await admin.query(`create database ${name}`);
});

afterAll(async () => {
  await fresh.end();
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.end();
});

describe('lib/supabase/database.types.ts', () => {
  it('is what `npm run db:types` generates from the migrations (run it after changing one)', async () => {
    await migrateForTypes(fresh);
    const generated = await generateDatabaseTypes(url.toString());
    const committed = await readFile(DATABASE_TYPES_FILE, 'utf8');
    expect(committed, 'lib/supabase/database.types.ts is stale: run `npm run db:types`').toBe(generated);
  });
});
