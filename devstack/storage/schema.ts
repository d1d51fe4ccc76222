import type { Pool } from 'pg';

/**
 * Storage metadata lives in Postgres under the same names hosted Supabase uses (`storage.buckets`,
 * `storage.objects`, `metadata` with eTag/size/mimetype/…), so SQL written against hosted (e.g. a migration
 * that inserts a bucket) reads the same here. Object bytes live on disk, one file per object *version*,
 * named by a server-generated UUID: a key never becomes a filesystem path, so no key can escape the root.
 * Idempotent; serialised by an advisory lock because several handlers (tests) may start against one database.
 */
const SCHEMA_SQL = `
create schema if not exists storage;

create table if not exists storage.buckets (
  id text primary key,
  name text not null unique,
  owner uuid,
  public boolean not null default false,
  file_size_limit bigint,
  allowed_mime_types text[],
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table if not exists storage.objects (
  id uuid primary key default gen_random_uuid(),
  bucket_id text not null references storage.buckets (id),
  name text not null,
  owner uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  last_accessed_at timestamptz not null default now(),
  metadata jsonb,
  version text not null,
  user_metadata jsonb,
  constraint objects_bucket_id_name_key unique (bucket_id, name)
);

-- Prefix listing uses "name like 'prefix%'", which only an index with text_pattern_ops can serve.
create index if not exists objects_bucket_id_name_pattern on storage.objects (bucket_id, name text_pattern_ops);
`;

export async function ensureStorageSchema(db: Pool): Promise<void> {
  const client = await db.connect();
  try {
    await client.query('begin');
    await client.query("select pg_advisory_xact_lock(hashtext('devstack.storage.schema'))");
    await client.query(SCHEMA_SQL);
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
