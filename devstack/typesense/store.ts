import type { Pool, PoolClient } from 'pg';
import { collectionNotFound, TypesenseError } from './errors';
import {
  isArrayType,
  isNumericType,
  isScalarField,
  scalarExpr,
  storedSchema,
  unindexedFields,
  type CollectionSchema,
} from './schema';

/**
 * Storage for the Typesense stand-in, in schema `_typesense` (not in PostgREST's exposed schemas, and no
 * grants to anon/authenticated, so nothing reaches it through `/rest/v1`).
 *
 * - `collections`: one row per collection with its normalised schema JSON; `num_documents` is kept by a
 *   statement-level trigger over transition tables, so `out_of`/`num_documents` never need a count(*)
 *   (a count of 1,000,000 rows is ~85 ms; a trigger adds ~0.8 s per 1,000,000 inserted rows, measured).
 * - `documents`: (collection_id, seq, id, doc text, attrs jsonb), LIST-partitioned by collection: each collection gets
 *   its own partition `documents_c<id>`, so dropping a collection of 1,000,000 rows is a ~40 ms DROP TABLE
 *   instead of a multi-second DELETE, and counts/scans of one collection never touch the others.
 *   `seq` is the insertion order (Typesense's `seq_id`): exports follow it, and it is the final tie-break.
 * - `attrs` = `doc` minus the fields declared `index: false` (the few-KB html body). Filters, sorts and
 *   indexes read `attrs`, never `doc`: a 2-4 KB doc is stored pglz-compressed (this Postgres build has no
 *   lz4), and decompressing it for every row made `count(*) where portal_id = … and hs_object_id > …`
 *   cost ~330 ms per 100,000 rows (measured); `attrs` (~0.5 KB) stays uncompressed inline.
 * - `doc` is the document's JSON text as Typesense returns it, not jsonb: jsonb refuses "\u0000" in a
 *   string, which Typesense stores like any other character, and text keeps int64s digit for digit without
 *   a parse per read (exports stream it as is). `attrs` has NUL replaced by U+FFFD: it only feeds filters.
 * - `doc` uses STORAGE EXTERNAL (out of line, never compressed): pglz compression was over half of the
 *   seeding time (100,000 demo docs, ~190 MB of JSON: 8.1 s → 5.2 s to insert, measured). Disk is cheap here.
 * - Per collection, an expression index on every scalar numeric field, `((doc->>'f')::bigint)`: the very
 *   expression filter-sql.ts and search.ts emit, so a keyset page `f > N order by f limit 250` is an index
 *   range scan (measured ~6 ms per page over 100,000 docs instead of a full scan).
 */
const STORE_SCHEMA_SQL = `
create schema if not exists _typesense;
revoke all on schema _typesense from public;
create sequence if not exists _typesense.documents_seq;
create table if not exists _typesense.collections (
  id serial primary key,
  name text not null unique,
  schema jsonb not null,
  created_at bigint not null,
  num_documents bigint not null default 0,
  -- Bumped by every statement that writes the collection's documents; keys cached results (keyset-count.ts).
  version bigint not null default 0
);
alter table _typesense.collections add column if not exists version bigint not null default 0;
create table if not exists _typesense.documents (
  collection_id int not null,
  seq bigint not null default nextval('_typesense.documents_seq'),
  id text not null,
  doc text not null,
  attrs jsonb not null,
  primary key (collection_id, seq),
  unique (collection_id, id)
) partition by list (collection_id);
alter table _typesense.documents alter column doc set storage external;
create or replace function _typesense.count_documents() returns trigger language plpgsql as $$
begin
  if tg_op = 'INSERT' then
    update _typesense.collections c set num_documents = num_documents + x.n, version = version + 1
      from (select collection_id, count(*) as n from new_rows group by collection_id) x where c.id = x.collection_id;
  elsif tg_op = 'UPDATE' then
    update _typesense.collections c set version = version + 1
      where c.id in (select distinct collection_id from new_rows);
  else
    update _typesense.collections c set num_documents = num_documents - x.n, version = version + 1
      from (select collection_id, count(*) as n from old_rows group by collection_id) x where c.id = x.collection_id;
  end if;
  return null;
end $$;
create or replace trigger documents_count_insert after insert on _typesense.documents
  referencing new table as new_rows for each statement execute function _typesense.count_documents();
create or replace trigger documents_count_update after update on _typesense.documents
  referencing new table as new_rows for each statement execute function _typesense.count_documents();
create or replace trigger documents_count_delete after delete on _typesense.documents
  referencing old table as old_rows for each statement execute function _typesense.count_documents();
`;

const schemaReady = new WeakMap<Pool, Promise<void>>();

/** Creates the `_typesense` schema once per pool (idempotent; safe on a reused data dir). */
export function ensureStore(db: Pool): Promise<void> {
  let ready = schemaReady.get(db);
  if (!ready) {
    ready = (async () => {
      const client = await db.connect();
      try {
        // Two callers on one database (server start + a seeding test) must not race on CREATE.
        await client.query('select pg_advisory_lock(hashtext($1))', ['_typesense.schema']);
        await dropOutdatedStore(client);
        await client.query(STORE_SCHEMA_SQL);
      } finally {
        await client.query('select pg_advisory_unlock(hashtext($1))', ['_typesense.schema']).catch(() => undefined);
        client.release();
      }
    })();
    schemaReady.set(db, ready);
    ready.catch(() => schemaReady.delete(db));
  }
  return ready;
}

/**
 * Data dirs made before `doc` became text hold jsonb documents the code can no longer read: start that
 * store afresh (the demo seeding fills it again on the next start).
 */
async function dropOutdatedStore(client: PoolClient): Promise<void> {
  const { rows } = await client.query<{ data_type: string }>(
    `select data_type from information_schema.columns
     where table_schema = '_typesense' and table_name = 'documents' and column_name = 'doc'`,
  );
  if (rows[0] && rows[0].data_type !== 'text') await client.query('drop schema _typesense cascade');
}

export type StoredCollection = {
  id: number;
  schema: CollectionSchema;
  /** Seconds since the epoch, like Typesense. */
  createdAt: number;
  numDocuments: number;
  /** Changes whenever the collection's documents change. */
  version: string;
};

/** The partition holding a collection's documents; built from our own integer id, never from input. */
export function partitionName(collectionId: number): string {
  if (!Number.isSafeInteger(collectionId) || collectionId <= 0) throw new Error(`bad collection id ${collectionId}`);
  return `_typesense.documents_c${collectionId}`;
}

type CollectionRow = { id: number; schema: unknown; created_at: string; num_documents: string; version: string };

function toStored(row: CollectionRow): StoredCollection {
  return {
    id: row.id,
    schema: storedSchema.parse(row.schema),
    createdAt: Number(row.created_at),
    numDocuments: Number(row.num_documents),
    version: row.version,
  };
}

export async function findCollection(db: Pool | PoolClient, name: string): Promise<StoredCollection | undefined> {
  const { rows } = await db.query<CollectionRow>(
    'select id, schema, created_at, num_documents, version from _typesense.collections where name = $1',
    [name],
  );
  const row = rows[0];
  return row ? toStored(row) : undefined;
}

export async function getCollection(db: Pool | PoolClient, name: string): Promise<StoredCollection> {
  const found = await findCollection(db, name);
  if (!found) throw collectionNotFound();
  return found;
}

export async function listCollections(db: Pool): Promise<StoredCollection[]> {
  // Typesense lists newest first (collection_manager.cpp sorts by creation).
  const { rows } = await db.query<CollectionRow>(
    'select id, schema, created_at, num_documents, version from _typesense.collections order by id desc',
  );
  return rows.map(toStored);
}

async function insertCollectionRow(client: PoolClient, schema: CollectionSchema): Promise<CollectionRow> {
  const inserted = await client.query<CollectionRow>(
    `insert into _typesense.collections (name, schema, created_at) values ($1, $2, extract(epoch from now())::bigint)
     on conflict (name) do nothing returning id, schema, created_at, num_documents, version`,
    [schema.name, JSON.stringify(schema)],
  );
  const row = inserted.rows[0];
  if (!row) throw new TypesenseError(409, `A collection with name \`${schema.name}\` already exists.`);
  return row;
}

async function createFieldIndexes(client: PoolClient, schema: CollectionSchema, table: string): Promise<void> {
  for (const field of schema.fields) {
    if (!isScalarField(field) || !isNumericType(field.type) || isArrayType(field.type) || !field.index) continue;
    await client.query(`create index on ${table} (${scalarExpr(field)})`);
  }
}

async function inTransaction<T>(db: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await db.connect();
  try {
    await client.query('begin');
    const result = await work(client);
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** Creates the collection row, its partition and its expression indexes in one transaction. */
export async function createCollection(db: Pool, schema: CollectionSchema): Promise<StoredCollection> {
  return inTransaction(db, async (client) => {
    const row = await insertCollectionRow(client, schema);
    const table = partitionName(row.id);
    await client.query(`create table ${table} partition of _typesense.documents for values in (${row.id})`);
    await createFieldIndexes(client, schema, table);
    return toStored(row);
  });
}

/**
 * Bulk path for seeding: fills a plain table, then attaches it as the collection's partition and builds the
 * indexes once, all in one transaction (nobody sees a half-loaded collection). Building the btrees after
 * the load instead of row by row, and skipping the count trigger's transition tables, roughly halves the
 * time for 1,000,000 rows (measured ~5.6 s → ~3.4 s on an idle 2-core box).
 * `load` must insert (collection_id, id, doc, attrs) rows into `table`; seq comes from the shared sequence.
 */
export async function bulkCreateCollection(
  db: Pool,
  schema: CollectionSchema,
  load: (client: PoolClient, table: string, collectionId: number) => Promise<void>,
): Promise<StoredCollection> {
  const row = await inTransaction(db, async (client) => {
    const created = await insertCollectionRow(client, schema);
    const table = partitionName(created.id);
    // The CHECK lets ATTACH skip its validation scan; LIKE copies the seq default (nextval).
    await client.query(
      `create table ${table} (like _typesense.documents including defaults including storage, check (collection_id = ${created.id}))`,
    );
    await load(client, table, created.id);
    await client.query(`alter table _typesense.documents attach partition ${table} for values in (${created.id})`);
    await createFieldIndexes(client, schema, table);
    const counted = await client.query<CollectionRow>(
      `update _typesense.collections set num_documents = (select count(*) from ${table}) where id = $1
       returning id, schema, created_at, num_documents, version`,
      [created.id],
    );
    return counted.rows[0] ?? created;
  });
  const stored = toStored(row);
  await analyse(db, stored);
  return stored;
}

/**
 * The whole table, not a column list: ANALYZE with columns skips the expression indexes, and without
 * their statistics the planner guesses (0.5 % of rows for `portal_id = N`, a third for `key > N`) and
 * answers every keyset page by reading and sorting all the rows past the cursor. Measured at 100,000
 * docs: 71 ms a page that way, 0.6 ms walking the key's index; an ANALYZE takes ~0.5 s (it samples a
 * fixed 30,000 rows, whatever the size).
 */
async function analyse(db: Pool, collection: StoredCollection): Promise<void> {
  await db.query(`analyze ${partitionName(collection.id)}`);
  analysedCounts(db).set(collection.id, collection.numDocuments);
}

/** Per database (one pool each): a collection's document count when this process last analysed it. */
const documentsWhenAnalysed = new WeakMap<Pool, Map<number, number>>();
function analysedCounts(db: Pool): Map<number, number> {
  let counts = documentsWhenAnalysed.get(db);
  if (!counts) documentsWhenAnalysed.set(db, (counts = new Map()));
  return counts;
}

/** Below this, a sequential scan is no slower than walking an index: not worth an ANALYZE. */
const ANALYSE_FROM_DOCUMENTS = 1_000;

/**
 * Collections filled through the import API get the statistics a bulk load gets: after an import, once
 * the collection has doubled since it was last analysed here. Autovacuum would analyse it within a
 * minute, but an export read right after a large import (as the tests do) would meet the guessed plans
 * until then; doubling keeps it to a handful of ANALYZEs over any number of imports.
 */
export async function analyseIfGrown(db: Pool, name: string): Promise<void> {
  const collection = await findCollection(db, name);
  if (!collection || collection.numDocuments < ANALYSE_FROM_DOCUMENTS) return;
  const before = analysedCounts(db).get(collection.id) ?? 0;
  if (collection.numDocuments >= 2 * before) await analyse(db, collection);
}

export async function dropCollection(db: Pool, name: string): Promise<StoredCollection> {
  return inTransaction(db, async (client) => {
    const { rows } = await client.query<CollectionRow>(
      'delete from _typesense.collections where name = $1 returning id, schema, created_at, num_documents, version',
      [name],
    );
    const row = rows[0];
    if (!row) throw collectionNotFound();
    await client.query(`drop table if exists ${partitionName(row.id)}`);
    return toStored(row);
  });
}

export type PreparedDoc = { id: string | undefined; doc: Record<string, unknown> };

export type WriteOutcome = { code: number; error: string } | null;

/**
 * Creates one batch of already-validated documents (parsed with parseExactJson) and returns, per input
 * position, the error (or null). Documents without an `id` get their seq number as id, like Typesense's
 * auto ids. A batch the database refuses as a whole is retried document by document, so one bad
 * document costs only its own line, as in Typesense.
 */
export async function writeBatch(db: Pool, collection: StoredCollection, docs: PreparedDoc[]): Promise<WriteOutcome[]> {
  if (docs.length === 0) return [];
  const seqs = await db.query<{ seq: string }>(
    "select nextval('_typesense.documents_seq')::text as seq from generate_series(1, $1::int)",
    [docs.length],
  );
  const unindexed = new Set(unindexedFields(collection.schema));
  const rows = docs.map((d, i) => {
    const seq = seqs.rows[i]?.seq ?? '0';
    const id = d.id ?? seq;
    const full = { id, ...d.doc };
    const attrs = Object.fromEntries(Object.entries(full).filter(([k]) => !unindexed.has(k)));
    const attrsJson = JSON.stringify(attrs);
    // JSON.stringify writes NUL as the escape \u0000; only documents that have one need the copy.
    return {
      seq,
      id,
      doc: JSON.stringify(full),
      attrs: attrsJson.includes('\\u0000') ? JSON.stringify(withoutNul(attrs)) : attrsJson,
    };
  });
  const insert = (batch: typeof rows) =>
    db.query<{ id: string }>(
      `insert into _typesense.documents as d (collection_id, seq, id, doc, attrs)
       select $1::int, t.seq, t.id, t.doc, t.attrs::jsonb
       from unnest($2::bigint[], $3::text[], $4::text[], $5::text[]) with ordinality as t(seq, id, doc, attrs, ord)
       order by t.ord
       on conflict (collection_id, id) do nothing returning id`,
      [
        collection.id,
        batch.map((r) => r.seq),
        batch.map((r) => r.id),
        batch.map((r) => r.doc),
        batch.map((r) => r.attrs),
      ],
    );
  const conflict = (id: string): WriteOutcome => ({ code: 409, error: `A document with id ${id} already exists.` });
  try {
    const written = new Set((await insert(rows)).rows.map((r) => r.id));
    return rows.map((r) => (written.has(r.id) ? null : conflict(r.id)));
  } catch {
    const outcomes: WriteOutcome[] = [];
    for (const row of rows) {
      try {
        outcomes.push((await insert([row])).rows.length > 0 ? null : conflict(row.id));
      } catch (error) {
        outcomes.push({ code: 400, error: error instanceof Error ? error.message : String(error) });
      }
    }
    return outcomes;
  }
}

/** A copy with NUL replaced by U+FFFD in every string and key: jsonb cannot hold "\u0000". */
function withoutNul(value: unknown): unknown {
  if (typeof value === 'string') return value.includes('\0') ? value.replaceAll('\0', '\uFFFD') : value;
  if (Array.isArray(value)) return value.map(withoutNul);
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.replaceAll('\0', '\uFFFD'), withoutNul(v)]));
  }
  return value;
}
