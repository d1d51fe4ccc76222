import pg from 'pg';
import type { DevstackContext } from '../context';
import type { ChangeType, Column, StoredChange, TableMeta } from './postgres-changes';

/**
 * The database side of Realtime. The real server decodes WAL through a replication slot; the
 * embedded Postgres runs without wal_level=logical, so changes are captured by an AFTER row trigger
 * on every table of publication `supabase_realtime`, stored in `_realtime.changes`, and announced
 * with NOTIFY. Only the id goes in the NOTIFY: its payload is capped at 8,000 bytes, rows are not.
 */

const NOTIFY_CHANNEL = 'devstack_realtime';
const TRIGGER_NAME = 'devstack_realtime_capture';
/** Changes are consumed within milliseconds; a minute is ample margin for a slow subscriber check. */
const RETENTION = '1 minute';
const GC_INTERVAL_MS = 30_000;
const RECONNECT_DELAYS_MS = [250, 1_000, 2_000, 5_000];

const SETUP_SQL = `
create schema if not exists _realtime;
revoke all on schema _realtime from public;
create unlogged table if not exists _realtime.changes (
  id bigserial primary key,
  relid oid not null,
  schema_name text not null,
  table_name text not null,
  type text not null,
  record jsonb,
  old_record jsonb,
  -- now() is the transaction's start, the same for every row of a transaction, like a commit time.
  commit_ts timestamptz not null default now(),
  created_at timestamptz not null default clock_timestamp()
);
create index if not exists changes_created_at on _realtime.changes (created_at);
revoke all on all tables in schema _realtime from public;
revoke all on all sequences in schema _realtime from public;
do $$
begin
  -- The roles exist in a Supabase-like base; guard so the feed still starts on a bare database.
  if exists (select 1 from pg_roles where rolname = 'anon') then
    execute 'revoke all on schema _realtime from anon, authenticated';
    execute 'revoke all on all tables in schema _realtime from anon, authenticated';
  end if;
end
$$;

-- SECURITY DEFINER: the writer may be anon/authenticated, which cannot touch _realtime.
create or replace function _realtime.capture() returns trigger
language plpgsql security definer set search_path = '' as $fn$
declare
  ident "char";
  old_rec jsonb;
  new_id bigint;
begin
  if tg_op in ('UPDATE', 'DELETE') then
    select relreplident into ident from pg_catalog.pg_class where oid = tg_relid;
    if ident = 'f' then
      old_rec := to_jsonb(old);
    else
      -- Default replica identity: the real server only sees the primary key (or the identity index).
      select coalesce(jsonb_object_agg(a.attname, to_jsonb(old) -> a.attname::text), '{}'::jsonb) into old_rec
      from pg_catalog.pg_index i
      join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
      where i.indrelid = tg_relid and (case when ident = 'i' then i.indisreplident else i.indisprimary end);
    end if;
  end if;
  insert into _realtime.changes (relid, schema_name, table_name, type, record, old_record)
  values (tg_relid, tg_table_schema, tg_table_name, tg_op,
          case when tg_op in ('INSERT', 'UPDATE') then to_jsonb(new) end, old_rec)
  returning id into new_id;
  perform pg_notify('${NOTIFY_CHANNEL}', new_id::text);
  return null;
end
$fn$;
revoke all on function _realtime.capture() from public;
`;

export type PublishedTable = { schema: string; table: string; relid: number; columns: Column[] };

export type Publication = {
  tables: PublishedTable[];
  publishes: Record<ChangeType, boolean>;
};

export type LoadedChange = StoredChange & { id: number; relid: number };

/** Catalog facts shared by the changes of one batch, so a bulk write costs a few queries, not a few per row. */
export type BatchInfo = {
  meta: TableMeta | undefined;
  /** Columns each role may SELECT on the change's table. */
  selectable: (roles: string[]) => Promise<Map<string, Set<string>>>;
};

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export class ChangeFeed {
  private listener: pg.Client | null = null;
  private closing = false;
  private reconnectAttempt = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private gcTimer: NodeJS.Timeout | null = null;
  private readonly queue: number[] = [];
  private draining: Promise<void> | null = null;
  private maxSeenId = 0;
  private scanChain: Promise<unknown> = Promise.resolve();
  private publication: Publication = { tables: [], publishes: { INSERT: true, UPDATE: true, DELETE: true } };

  constructor(
    private readonly ctx: DevstackContext,
    /** Called once per change, strictly in notification (commit) order. */
    private readonly onChange: (change: LoadedChange, batch: BatchInfo) => Promise<void>,
    /** True when no socket has a postgres_changes subscription: changes are then dropped unread. */
    private readonly isIdle: () => boolean,
  ) {}

  async start(): Promise<void> {
    await this.ctx.db.query(SETUP_SQL);
    await this.scan();
    await this.connectListener(false);
    this.gcTimer = setInterval(() => {
      this.ctx.db
        .query(`delete from _realtime.changes where created_at < now() - interval '${RETENTION}'`)
        .catch((error: unknown) => this.ctx.log('realtime', `change GC failed: ${String(error)}`));
    }, GC_INTERVAL_MS);
    this.gcTimer.unref();
  }

  current(): Publication {
    return this.publication;
  }

  /**
   * Reads publication `supabase_realtime` and makes the capture triggers match it: added on new
   * tables, dropped from tables that left it. Runs on every join, so tables added by migrations or
   * tests are picked up; serialized because concurrent CREATE TRIGGERs on one table conflict.
   */
  scan(): Promise<Publication> {
    const run = this.scanChain.then(() => this.scanNow());
    this.scanChain = run.catch(() => {});
    return run;
  }

  private async scanNow(): Promise<Publication> {
    const pub = await this.ctx.db.query<{ pubinsert: boolean; pubupdate: boolean; pubdelete: boolean }>(
      `select pubinsert, pubupdate, pubdelete from pg_publication where pubname = 'supabase_realtime'`,
    );
    const flags = pub.rows[0];
    const tables = await this.ctx.db.query<{ schema: string; table: string; relid: string; columns: Column[] }>(
      `select pt.schemaname as schema, pt.tablename as table, c.oid::int8 as relid,
              coalesce((select json_agg(json_build_object('name', a.attname, 'type', t.typname) order by a.attnum)
                        from pg_attribute a join pg_type t on t.oid = a.atttypid
                        where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped), '[]') as columns
         from pg_publication_tables pt
         join pg_namespace n on n.nspname = pt.schemaname
         join pg_class c on c.relnamespace = n.oid and c.relname = pt.tablename
        where pt.pubname = 'supabase_realtime' and pt.schemaname <> '_realtime' and c.relkind in ('r', 'p')`,
    );
    const installed = await this.ctx.db.query<{ relid: string; schema: string; table: string }>(
      `select t.tgrelid::int8 as relid, n.nspname as schema, c.relname as table
         from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
        where t.tgname = $1 and not t.tgisinternal`,
      [TRIGGER_NAME],
    );
    const wanted = new Set(tables.rows.map((row) => row.relid));
    const have = new Set(installed.rows.map((row) => row.relid));
    for (const row of tables.rows) {
      if (have.has(row.relid)) continue;
      await this.ddl(
        `create trigger ${TRIGGER_NAME} after insert or update or delete on ${quoteIdent(row.schema)}.${quoteIdent(row.table)}
         for each row execute function _realtime.capture()`,
        `install capture trigger on ${row.schema}.${row.table}`,
      );
    }
    for (const row of installed.rows) {
      if (wanted.has(row.relid)) continue;
      await this.ddl(
        `drop trigger if exists ${TRIGGER_NAME} on ${quoteIdent(row.schema)}.${quoteIdent(row.table)}`,
        `remove capture trigger from ${row.schema}.${row.table}`,
      );
    }
    this.publication = {
      tables: tables.rows.map((row) => ({
        schema: row.schema,
        table: row.table,
        relid: Number(row.relid),
        columns: row.columns,
      })),
      publishes: {
        INSERT: flags?.pubinsert ?? false,
        UPDATE: flags?.pubupdate ?? false,
        DELETE: flags?.pubdelete ?? false,
      },
    };
    return this.publication;
  }

  /** DDL with a short lock timeout: a join must not hang behind a long transaction on that table. */
  private async ddl(sql: string, what: string): Promise<void> {
    const client = await this.ctx.db.connect();
    try {
      await client.query('begin');
      await client.query(`set local lock_timeout = '3s'`);
      await client.query(sql);
      await client.query('commit');
    } catch (error) {
      await client.query('rollback').catch(() => {});
      this.ctx.log('realtime', `could not ${what}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      client.release();
    }
  }

  /** Column names, types, key and RLS flag, read fresh per batch so ALTER TABLEs show up at once. */
  async tableMeta(relids: number[]): Promise<Map<number, TableMeta>> {
    const result = await this.ctx.db.query<{ relid: string; rls: boolean; columns: Column[]; pk: string[] }>(
      `select c.oid::int8 as relid, c.relrowsecurity as rls,
              coalesce((select json_agg(json_build_object('name', a.attname, 'type', t.typname) order by a.attnum)
                        from pg_attribute a join pg_type t on t.oid = a.atttypid
                        where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped), '[]') as columns,
              coalesce((select json_agg(a.attname order by a.attnum)
                        from pg_constraint k join pg_attribute a on a.attrelid = k.conrelid and a.attnum = any(k.conkey)
                        where k.conrelid = c.oid and k.contype = 'p'), '[]') as pk
         from pg_class c where c.oid = any($1::oid[])`,
      [relids],
    );
    return new Map(
      result.rows.map((row) => [Number(row.relid), { columns: row.columns, primaryKey: row.pk, rlsEnabled: row.rls }]),
    );
  }

  /** Which of the table's columns each role may SELECT (`has_column_privilege`, as apply_rls does). */
  async selectableColumns(relid: number, roles: string[]): Promise<Map<string, Set<string>>> {
    const result = await this.ctx.db.query<{ role: string; name: string }>(
      `select r.role, a.attname as name
         from unnest($2::text[]) as r(role)
         join pg_roles pr on pr.rolname = r.role
         join pg_attribute a on a.attrelid = $1::oid and a.attnum > 0 and not a.attisdropped
        where has_column_privilege(r.role, a.attrelid, a.attnum, 'SELECT')`,
      [relid, roles],
    );
    const out = new Map<string, Set<string>>(roles.map((role) => [role, new Set<string>()]));
    for (const row of result.rows) out.get(row.role)?.add(row.name);
    return out;
  }

  private async connectListener(isReconnect: boolean): Promise<void> {
    const client = new pg.Client(this.ctx.db.options);
    client.on('notification', (message) => {
      if (message.channel !== NOTIFY_CHANNEL || !message.payload) return;
      const id = Number(message.payload);
      if (Number.isSafeInteger(id)) this.enqueue([id]);
    });
    client.on('error', (error) => {
      this.ctx.log('realtime', `change listener error: ${error.message}`);
      this.dropListener(client);
    });
    client.on('end', () => this.dropListener(client));
    try {
      await client.connect();
      await client.query(`listen ${NOTIFY_CHANNEL}`);
    } catch (error) {
      client.end().catch(() => {});
      if (!isReconnect) throw error;
      this.ctx.log('realtime', `change listener reconnect failed: ${String(error)}`);
      this.scheduleReconnect();
      return;
    }
    if (this.closing) {
      await client.end().catch(() => {});
      return;
    }
    this.listener = client;
    this.reconnectAttempt = 0;
    if (isReconnect) {
      // Changes committed while the listener was down were stored but never announced.
      const missed = await this.ctx.db
        .query<{ id: string }>('select id from _realtime.changes where id > $1 order by id', [this.maxSeenId])
        .catch(() => ({ rows: [] }));
      this.enqueue(missed.rows.map((row) => Number(row.id)));
    }
  }

  private dropListener(client: pg.Client): void {
    if (this.listener !== client) return;
    this.listener = null;
    client.end().catch(() => {});
    if (!this.closing) this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer || this.closing) return;
    const delay = RECONNECT_DELAYS_MS[Math.min(this.reconnectAttempt, RECONNECT_DELAYS_MS.length - 1)] ?? 5_000;
    this.reconnectAttempt += 1;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.connectListener(true);
    }, delay);
  }

  private enqueue(ids: number[]): void {
    for (const id of ids) {
      if (id > this.maxSeenId) this.maxSeenId = id;
      this.queue.push(id);
    }
    if (!this.draining) {
      this.draining = this.drain().finally(() => {
        this.draining = null;
        if (this.queue.length > 0 && !this.closing) this.enqueue([]);
      });
    }
  }

  /** Loads queued ids in batches and hands them on one by one, in the order NOTIFY delivered them. */
  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.closing) {
      const batch = this.queue.splice(0, 200);
      if (this.isIdle()) continue;
      let rows: LoadedChange[];
      let metas: Map<number, TableMeta>;
      try {
        rows = await this.load(batch);
        metas = await this.tableMeta([...new Set(rows.map((row) => row.relid))]);
      } catch (error) {
        this.ctx.log('realtime', `could not load changes: ${String(error)}`);
        continue;
      }
      const selectableCache = new Map<string, Promise<Map<string, Set<string>>>>();
      const byId = new Map(rows.map((row) => [row.id, row]));
      for (const id of batch) {
        const change = byId.get(id);
        if (!change || !this.publication.publishes[change.type]) continue;
        const info: BatchInfo = {
          meta: metas.get(change.relid),
          selectable: (roles) => {
            const key = `${change.relid}:${[...roles].sort().join(',')}`;
            let pending = selectableCache.get(key);
            if (!pending) {
              pending = this.selectableColumns(change.relid, roles);
              selectableCache.set(key, pending);
            }
            return pending;
          },
        };
        try {
          await this.onChange(change, info);
        } catch (error) {
          this.ctx.log('realtime', `dispatch of change ${id} failed: ${String(error)}`);
        }
      }
    }
  }

  private async load(ids: number[]): Promise<LoadedChange[]> {
    const result = await this.ctx.db.query<{
      id: string;
      relid: string;
      schema_name: string;
      table_name: string;
      type: ChangeType;
      record: Record<string, unknown> | null;
      old_record: Record<string, unknown> | null;
      commit_timestamp: string;
    }>(
      `select id, relid::int8 as relid, schema_name, table_name, type, record, old_record,
              to_char(commit_ts at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as commit_timestamp
         from _realtime.changes where id = any($1::int8[])`,
      [ids],
    );
    return result.rows.map((row) => ({
      id: Number(row.id),
      relid: Number(row.relid),
      schema: row.schema_name,
      table: row.table_name,
      type: row.type,
      record: row.record,
      oldRecord: row.old_record,
      commitTimestamp: row.commit_timestamp,
    }));
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.gcTimer) clearInterval(this.gcTimer);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const listener = this.listener;
    this.listener = null;
    if (listener) await listener.end().catch(() => {});
    await this.draining?.catch(() => {});
    await this.scanChain.catch(() => {});
  }
}
