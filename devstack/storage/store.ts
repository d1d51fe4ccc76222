import type { Pool } from 'pg';
import { storageErrors } from './errors';
import type { ObjectFiles } from './files';

export type BucketRow = {
  id: string;
  name: string;
  owner: string | null;
  public: boolean;
  file_size_limit: string | null; // bigint comes back as a string from pg
  allowed_mime_types: string[] | null;
  created_at: Date;
  updated_at: Date;
};

export type ObjectMetadata = {
  eTag: string;
  size: number;
  mimetype: string;
  cacheControl: string;
  lastModified: string;
  contentLength: number;
  httpStatusCode: number;
};

export type ObjectRow = {
  id: string;
  bucket_id: string;
  name: string;
  owner: string | null;
  created_at: Date;
  updated_at: Date;
  last_accessed_at: Date;
  metadata: ObjectMetadata;
  version: string;
  user_metadata: Record<string, unknown> | null;
};

const OBJECT_COLUMNS =
  'id, bucket_id, name, owner, created_at, updated_at, last_accessed_at, metadata, version, user_metadata';

/** Bucket JSON as the Storage API returns it (`GET /bucket`, `GET /bucket/:id`). */
export function bucketJson(b: BucketRow): Record<string, unknown> {
  return {
    id: b.id,
    name: b.name,
    owner: b.owner ?? '',
    public: b.public,
    type: 'STANDARD',
    file_size_limit: b.file_size_limit === null ? null : Number(b.file_size_limit),
    allowed_mime_types: b.allowed_mime_types,
    created_at: b.created_at.toISOString(),
    updated_at: b.updated_at.toISOString(),
  };
}

/** A full object row as `remove()` returns it. */
export function objectRowJson(o: ObjectRow): Record<string, unknown> {
  return {
    id: o.id,
    bucket_id: o.bucket_id,
    name: o.name,
    owner: o.owner,
    owner_id: o.owner,
    version: o.version,
    created_at: o.created_at.toISOString(),
    updated_at: o.updated_at.toISOString(),
    last_accessed_at: o.last_accessed_at.toISOString(),
    metadata: o.metadata,
    user_metadata: o.user_metadata,
  };
}

export async function findBucket(db: Pool, id: string): Promise<BucketRow | null> {
  const { rows } = await db.query<BucketRow>('select * from storage.buckets where id = $1', [id]);
  return rows[0] ?? null;
}

export async function findObject(db: Pool, bucket: string, key: string): Promise<ObjectRow | null> {
  const { rows } = await db.query<ObjectRow>(
    `select ${OBJECT_COLUMNS} from storage.objects where bucket_id = $1 and name = $2`,
    [bucket, key],
  );
  return rows[0] ?? null;
}

export type NewVersion = {
  bucket: string;
  key: string;
  version: string;
  metadata: ObjectMetadata;
  userMetadata: Record<string, unknown> | null;
  owner: string | null;
};

export type WriteMode = 'create' | 'upsert' | 'update';

/**
 * Points the object's row at a freshly written version file, in one statement per mode, and returns the
 * row plus the version it replaced (whose file the caller deletes). `create` fails on an existing key with
 * KeyAlreadyExists at commit time, so two racing uploads cannot both win; `update` needs an existing key.
 */
export async function recordVersion(
  db: Pool,
  mode: WriteMode,
  v: NewVersion,
): Promise<{ row: ObjectRow; replaced: string | null }> {
  const params = [
    v.bucket,
    v.key,
    v.version,
    JSON.stringify(v.metadata),
    v.userMetadata === null ? null : JSON.stringify(v.userMetadata),
    v.owner,
  ];
  if (mode === 'create') {
    const { rows } = await db.query<ObjectRow>(
      `insert into storage.objects (bucket_id, name, version, metadata, user_metadata, owner)
       values ($1, $2, $3, $4, $5, $6)
       on conflict (bucket_id, name) do nothing
       returning ${OBJECT_COLUMNS}`,
      params,
    );
    if (!rows[0]) throw storageErrors.keyAlreadyExists();
    return { row: rows[0], replaced: null };
  }
  // `old` reads the row under a lock first, so the replaced version is exactly the one this write superseded.
  const update = `
    with old as (
      select id, version from storage.objects where bucket_id = $1 and name = $2 for update
    ), changed as (
      update storage.objects o
         set version = $3, metadata = $4, user_metadata = $5, owner = coalesce($6, o.owner),
             updated_at = now(), last_accessed_at = now()
        from old where o.id = old.id
      returning o.*, old.version as replaced
    )
    select ${OBJECT_COLUMNS.split(', ')
      .map((c) => `changed.${c}`)
      .join(', ')}, changed.replaced from changed`;
  if (mode === 'update') {
    const { rows } = await db.query<ObjectRow & { replaced: string }>(update, params);
    const row = rows[0];
    if (!row) throw storageErrors.noSuchKey();
    return { row, replaced: row.replaced };
  }
  // upsert: insert, or replace in place keeping the object's id (as Storage's upsert does).
  for (let attempt = 0; attempt < 3; attempt++) {
    const { rows } = await db.query<ObjectRow & { replaced: string }>(update, params);
    if (rows[0]) return { row: rows[0], replaced: rows[0].replaced };
    const inserted = await db.query<ObjectRow>(
      `insert into storage.objects (bucket_id, name, version, metadata, user_metadata, owner)
       values ($1, $2, $3, $4, $5, $6)
       on conflict (bucket_id, name) do nothing
       returning ${OBJECT_COLUMNS}`,
      params,
    );
    if (inserted.rows[0]) return { row: inserted.rows[0], replaced: null };
    // A concurrent insert won the race between our update and insert: update it on the next round.
  }
  throw storageErrors.keyAlreadyExists();
}

/** Deletes rows, then their files (a reader that already opened a file finishes reading it). */
export async function deleteObjects(
  db: Pool,
  files: ObjectFiles,
  bucket: string,
  keys: string[],
): Promise<ObjectRow[]> {
  const { rows } = await db.query<ObjectRow>(
    `delete from storage.objects where bucket_id = $1 and name = any($2::text[]) returning ${OBJECT_COLUMNS}`,
    [bucket, keys],
  );
  await Promise.all(rows.map((r) => files.remove(r.version)));
  return rows;
}

export async function emptyBucket(db: Pool, files: ObjectFiles, bucket: string): Promise<void> {
  const { rows } = await db.query<{ version: string }>(
    'delete from storage.objects where bucket_id = $1 returning version',
    [bucket],
  );
  for (const r of rows) await files.remove(r.version);
}

export type ListOptions = {
  prefix: string;
  limit: number;
  offset: number;
  sortColumn: 'name' | 'created_at' | 'updated_at' | 'last_accessed_at';
  sortOrder: 'asc' | 'desc';
  search: string;
};

type ListRow = {
  name: string;
  id: string | null;
  created_at: Date | null;
  updated_at: Date | null;
  last_accessed_at: Date | null;
  metadata: ObjectMetadata | null;
};

function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * One folder level, like `storage.search()`: direct children of `prefix`; deeper keys collapse into a folder
 * entry (`id` and timestamps null). Names are relative to the prefix and ordered bytewise (`collate "C"`).
 */
export async function listFolder(db: Pool, bucket: string, o: ListOptions): Promise<ListRow[]> {
  const folder = o.prefix === '' || o.prefix.endsWith('/') ? o.prefix : `${o.prefix}/`;
  const direction = o.sortOrder === 'desc' ? 'desc' : 'asc';
  const { rows } = await db.query<ListRow>(
    `with children as (
       select split_part(substr(name, $3), '/', 1) as child,
              strpos(substr(name, $3), '/') > 0 as is_folder,
              id, created_at, updated_at, last_accessed_at, metadata
         from storage.objects
        where bucket_id = $1 and name like $2
     ), entries as (
       select child as name, null::uuid as id, null::timestamptz as created_at, null::timestamptz as updated_at,
              null::timestamptz as last_accessed_at, null::jsonb as metadata
         from children where is_folder group by child
       union all
       select child, id, created_at, updated_at, last_accessed_at, metadata from children where not is_folder
     )
     select * from entries
      where $4 = '' or name ilike $5
      order by ${o.sortColumn === 'name' ? 'name collate "C"' : o.sortColumn} ${direction} nulls last, name collate "C" asc
      limit $6 offset $7`,
    [bucket, `${likeEscape(folder)}%`, [...folder].length + 1, o.search, `${likeEscape(o.search)}%`, o.limit, o.offset],
  );
  return rows;
}
