import type { Pool } from 'pg';
import { storageErrors } from './errors';
import type { ObjectFiles } from './files';

/** A bucket exists or not; its settings (public, size limit, MIME types) are not implemented here. */
export type BucketRow = { id: string };

type ObjectMetadata = {
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
  const { rows } = await db.query<BucketRow>('select id from storage.buckets where id = $1', [id]);
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
};

export type WriteMode = 'create' | 'upsert';

/**
 * Points the object's row at a freshly written version file, in one statement per mode, and returns the
 * row plus the version it replaced (whose file the caller deletes). `create` fails on an existing key with
 * KeyAlreadyExists at commit time, so two racing uploads cannot both win.
 */
export async function recordVersion(
  db: Pool,
  mode: WriteMode,
  v: NewVersion,
): Promise<{ row: ObjectRow; replaced: string | null }> {
  const params = [v.bucket, v.key, v.version, JSON.stringify(v.metadata)];
  if (mode === 'create') {
    const { rows } = await db.query<ObjectRow>(
      `insert into storage.objects (bucket_id, name, version, metadata)
       values ($1, $2, $3, $4)
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
         set version = $3, metadata = $4, updated_at = now(), last_accessed_at = now()
        from old where o.id = old.id
      returning o.*, old.version as replaced
    )
    select ${OBJECT_COLUMNS.split(', ')
      .map((c) => `changed.${c}`)
      .join(', ')}, changed.replaced from changed`;
  // upsert: insert, or replace in place keeping the object's id (as Storage's upsert does).
  for (let attempt = 0; attempt < 3; attempt++) {
    const { rows } = await db.query<ObjectRow & { replaced: string }>(update, params);
    if (rows[0]) return { row: rows[0], replaced: rows[0].replaced };
    const inserted = await db.query<ObjectRow>(
      `insert into storage.objects (bucket_id, name, version, metadata)
       values ($1, $2, $3, $4)
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

export type FolderEntry = { name: string; id: string | null; created_at: Date | null; updated_at: Date | null };

/**
 * One folder level, as Storage's `list` (`storage.search()`) gives it: the direct children of `folder`, names
 * relative to it, bytewise order (`collate "C"`); deeper keys collapse into one folder entry (`id` null).
 * The worker lists a lane's folder once when the lane ends, to remove objects no manifest row references.
 */
export async function listFolder(
  db: Pool,
  bucket: string,
  folder: string,
  page: { limit: number; offset: number },
): Promise<FolderEntry[]> {
  const prefix = folder === '' || folder.endsWith('/') ? folder : `${folder}/`;
  const { rows } = await db.query<FolderEntry>(
    `with children as (
       select split_part(substr(name, $3), '/', 1) as child, strpos(substr(name, $3), '/') > 0 as is_folder,
              id, created_at, updated_at
         from storage.objects
        where bucket_id = $1 and starts_with(name, $2)
     )
     select * from (
       select child as name, null::uuid as id, null::timestamptz as created_at, null::timestamptz as updated_at
         from children where is_folder group by child
       union all
       select child, id, created_at, updated_at from children where not is_folder
     ) entries
     order by name collate "C"
     limit $4 offset $5`,
    [bucket, prefix, [...prefix].length + 1, page.limit, page.offset],
  );
  return rows;
}
