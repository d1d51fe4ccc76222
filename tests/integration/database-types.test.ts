import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../devstack/migrate';
import { DATABASE_TYPES_FILE, generateDatabaseTypes } from '../../scripts/database-types';
import { MIGRATIONS_DIR } from '../../scripts/migrated-database';
import { generateSchemaSnapshot, SCHEMA_FILE } from '../../scripts/schema-snapshot';
import { testStack } from './stack-info';

/**
 * The committed files generated from the migrations are what their generators make of the migrations
 * today: `supabase/schema.sql` (the schema, read from the catalogs) and the `Database` type (Supabase's
 * own generator, @supabase/postgres-meta). A fresh database on the suite's Postgres (the shared one holds
 * test tables) gets the platform base and every migration, then both generate from it; any difference
 * means a migration changed without `npm run db:schema` / `npm run db:types`.
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

let snapshot: string;

beforeAll(async () => {
  await admin.query(`drop database if exists ${name}`);
  await admin.query(`create database ${name}`);
  // Applies the base and the migrations: the types generator reads the same database.
  snapshot = await generateSchemaSnapshot(fresh);
});

afterAll(async () => {
  await fresh.end();
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.end();
});

describe('supabase/schema.sql', () => {
  it('is what `npm run db:schema` generates from the migrations (run it after adding one)', async () => {
    const committed = await readFile(SCHEMA_FILE, 'utf8');
    expect(committed, 'supabase/schema.sql is stale: run `npm run db:schema`').toBe(snapshot);
  });
});

describe('supabase/functions/_shared/database.types.ts', () => {
  it('is what `npm run db:types` generates from the migrations (run it after adding one)', async () => {
    const generated = await generateDatabaseTypes(url.toString());
    const committed = await readFile(DATABASE_TYPES_FILE, 'utf8');
    expect(committed, 'supabase/functions/_shared/database.types.ts is stale: run `npm run db:types`').toBe(generated);
  });
});

describe('migrate', () => {
  it('applies nothing twice: a migrated database stays as it is', async () => {
    await expect(migrate(fresh, MIGRATIONS_DIR)).resolves.toEqual([]);
  });

  it('refuses a database that records a migration no file holds, and says how to start afresh', async () => {
    // A developer's .devstack database from before the migrations were squashed into a baseline.
    await fresh.query(
      `insert into supabase_migrations.schema_migrations (version, name) values ('20000101000000', 'squashed_away')`,
    );
    try {
      await expect(migrate(fresh, MIGRATIONS_DIR)).rejects.toThrow(/20000101000000.*npm run dev -- --reset/s);
    } finally {
      await fresh.query(`delete from supabase_migrations.schema_migrations where version = '20000101000000'`);
    }
  });
});
