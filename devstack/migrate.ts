import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Pool } from 'pg';

const baseSchemaFile = path.join(import.meta.dirname, 'sql', 'supabase-base.sql');

/** `20260101000000_create_jobs.sql` → version `20260101000000`, name `create_jobs` (Supabase CLI naming). */
function parseMigrationFile(file: string): { version: string; name: string } | null {
  const match = /^(\d+)_(.+)\.sql$/.exec(file);
  return match ? { version: match[1]!, name: match[2]! } : null;
}

/** The Supabase-like base every migration may rely on (roles, `auth`, `realtime`, …). Idempotent. */
export async function applySupabaseBase(db: Pool): Promise<void> {
  await db.query(await readFile(baseSchemaFile, 'utf8'));
}

/**
 * Applies the Supabase-like base, then every not-yet-applied file of `supabase/migrations/` in
 * version order, each in its own transaction, recording it as the Supabase CLI does.
 * Returns the versions applied by this call.
 *
 * A database that records a version no file has any more was migrated from another history (the
 * migrations were squashed into a baseline, or it comes from another branch): applying the files on top
 * would fail half-way or leave a mixed schema, so it stops and says how to start afresh, as the
 * Supabase CLI refuses a remote history it does not know.
 */
export async function migrate(db: Pool, migrationsDir: string): Promise<string[]> {
  await applySupabaseBase(db);

  const files = (await readdir(migrationsDir))
    .map((file) => ({ file, parsed: parseMigrationFile(file) }))
    .filter((f): f is { file: string; parsed: { version: string; name: string } } => f.parsed !== null)
    .sort((a, b) => a.parsed.version.localeCompare(b.parsed.version));

  const applied = new Set(
    (await db.query<{ version: string }>('select version from supabase_migrations.schema_migrations')).rows.map(
      (r) => r.version,
    ),
  );

  const known = new Set(files.map((f) => f.parsed.version));
  const unknown = [...applied].filter((version) => !known.has(version)).sort();
  if (unknown.length > 0) {
    const listed = unknown.length > 3 ? `${unknown.slice(0, 3).join(', ')}, …` : unknown.join(', ');
    throw new Error(
      `This database records ${unknown.length} migration(s) that supabase/migrations no longer holds (${listed}): ` +
        'it was built from another migration history (an older one, since squashed into a baseline, or another ' +
        "branch's) and cannot be brought up to date in place. The devstack's database is for development: start " +
        'it afresh with `npm run dev -- --reset` (or `npm run devstack -- --reset`, or delete `.devstack/`).',
    );
  }

  const ran: string[] = [];
  for (const { file, parsed } of files) {
    if (applied.has(parsed.version)) continue;
    const sql = await readFile(path.join(migrationsDir, file), 'utf8');
    const client = await db.connect();
    try {
      await client.query('begin');
      await client.query(sql);
      await client.query(
        'insert into supabase_migrations.schema_migrations (version, name, statements) values ($1, $2, $3)',
        [parsed.version, parsed.name, [sql]],
      );
      await client.query('commit');
      ran.push(parsed.version);
    } catch (error) {
      await client.query('rollback');
      const detail = error instanceof Error ? error.message : String(error);
      throw new Error(`Migration ${file} failed: ${detail}`);
    } finally {
      client.release();
    }
  }
  return ran;
}
