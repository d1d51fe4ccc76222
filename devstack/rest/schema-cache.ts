import type { Pool } from 'pg';
import { z } from 'zod';

/**
 * What the REST service knows about the exposed schema (`public`), read from pg_catalog like
 * PostgREST's schema cache. Migrations and tests create tables while the devstack runs, so a lookup
 * miss reloads it (coalesced: concurrent misses share one reload), and the handler reloads and retries
 * once when Postgres reports a column/table/function the cache believed in (see `fingerprint`).
 */

export type Column = {
  name: string;
  /** With typmod (`character varying(10)`): for `json_to_recordset` definitions, so lengths are enforced like an INSERT. */
  type: string;
  /** Without typmod (`bpchar`, not `character(1)`): for casting filter values, so nothing is truncated. */
  castType: string;
  /** The column's default as SQL from the catalog (identity → nextval), for `Prefer: missing=default`. */
  defaultSql: string | null;
};

export type Relation = {
  name: string;
  columns: Map<string, Column>;
  primaryKey: string[];
};

type RoutineParam = { name: string; type: string; hasDefault: boolean };

type RoutineReturn =
  | { kind: 'void' }
  | { kind: 'scalar'; set: boolean }
  | { kind: 'composite'; set: boolean; columns: Map<string, Column> };

export type Routine = {
  name: string;
  /** Input parameters (IN, INOUT, VARIADIC) in declaration order. */
  params: RoutineParam[];
  returns: RoutineReturn;
  volatility: 'volatile' | 'stable' | 'immutable';
};

export type SchemaSnapshot = {
  relations: Map<string, Relation>;
  routines: Map<string, Routine[]>;
  /** `ALTER ROLE … SET` settings PostgREST applies per role (docs/protocols.md §2.5). */
  roleSettings: Map<string, Record<string, string>>;
  /** Changes whenever anything above changes; used to decide whether a retry can help. */
  fingerprint: string;
};

const columnSchema = z.object({
  name: z.string(),
  type: z.string(),
  castType: z.string(),
  defaultSql: z.string().nullable().default(null),
});

const relationRowSchema = z.object({
  name: z.string(),
  columns: z.array(columnSchema),
  primary_key: z.array(z.string()),
});

const routineRowSchema = z.object({
  name: z.string(),
  returns_set: z.boolean(),
  volatility: z.enum(['v', 's', 'i']),
  n_defaults: z.number(),
  return_type: z.string(),
  return_columns: z.array(columnSchema).nullable(),
  arg_names: z.array(z.string()),
  arg_modes: z.array(z.string()),
  arg_types: z.array(z.string()),
});

const roleSettingRowSchema = z.object({ role: z.string(), settings: z.array(z.string()) });

const RELATIONS_SQL = `
select c.relname as name,
  coalesce((
    select json_agg(json_build_object(
      'name', a.attname,
      'type', format_type(a.atttypid, a.atttypmod),
      'castType', format_type(a.atttypid, -1),
      'defaultSql', case
        when a.attgenerated <> '' then null
        when a.attidentity in ('a', 'd') then format('nextval(%L::regclass)', pg_get_serial_sequence(c.oid::regclass::text, a.attname))
        else pg_get_expr(d.adbin, d.adrelid) end) order by a.attnum)
    from pg_attribute a
    left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
    where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
  ), '[]') as columns,
  coalesce((
    select array_agg(a.attname::text order by k.ord)
    from pg_constraint pk
    cross join lateral unnest(pk.conkey) with ordinality as k(attnum, ord)
    join pg_attribute a on a.attrelid = pk.conrelid and a.attnum = k.attnum
    where pk.conrelid = c.oid and pk.contype = 'p'
  ), '{}') as primary_key
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
where n.nspname = 'public' and c.relkind in ('r', 'v', 'm', 'f', 'p')`;

// Argument types: proallargtypes (with OUT/TABLE columns) when present, else proargtypes (IN only).
const ROUTINES_SQL = `
select p.proname as name, p.proretset as returns_set, p.provolatile::text as volatility,
  p.pronargdefaults::int as n_defaults,
  format_type(p.prorettype, -1) as return_type,
  case when rt.typrelid <> 0 then (
    select json_agg(json_build_object(
      'name', a.attname,
      'type', format_type(a.atttypid, a.atttypmod),
      'castType', format_type(a.atttypid, -1)) order by a.attnum)
    from pg_attribute a
    where a.attrelid = rt.typrelid and a.attnum > 0 and not a.attisdropped
  ) end as return_columns,
  coalesce(p.proargnames, '{}') as arg_names,
  coalesce(p.proargmodes::text[], '{}') as arg_modes,
  array(select format_type(x.t, -1) from unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) with ordinality as x(t, i) order by x.i) as arg_types
from pg_proc p
join pg_namespace n on n.oid = p.pronamespace
join pg_type rt on rt.oid = p.prorettype
where n.nspname = 'public' and p.prokind = 'f'`;

const ROLE_SETTINGS_SQL = `
select r.rolname as role, s.setconfig as settings
from pg_db_role_setting s
join pg_roles r on r.oid = s.setrole
where s.setdatabase in (0, (select oid from pg_database where datname = current_database()))
order by s.setdatabase`;

/** Role settings worth applying per transaction; others (e.g. search_path) are set by withClaims already. */
const APPLIED_ROLE_SETTINGS = new Set([
  'statement_timeout',
  'lock_timeout',
  'idle_in_transaction_session_timeout',
  'plan_cache_mode',
  'work_mem',
]);

function toRoutine(row: z.infer<typeof routineRowSchema>): Routine {
  const modes = row.arg_modes.length > 0 ? row.arg_modes : row.arg_types.map(() => 'i');
  const inputs: Array<{ name: string; type: string }> = [];
  const outputs: Column[] = [];
  modes.forEach((mode, i) => {
    const name = row.arg_names[i] ?? '';
    // Parameters carry no typmod, and format_type(…, -1) keeps `bpchar` from becoming `character(1)`.
    const type = row.arg_types[i] ?? 'unknown';
    if (mode === 'i' || mode === 'b' || mode === 'v') inputs.push({ name, type });
    if (mode === 'o' || mode === 'b' || mode === 't') outputs.push({ name, type, castType: type, defaultSql: null });
  });
  // pronargdefaults counts the trailing input parameters that have defaults.
  const firstDefault = inputs.length - row.n_defaults;
  const params = inputs.map((p, i) => ({ ...p, hasDefault: i >= firstDefault }));
  let returns: RoutineReturn;
  if (row.return_type === 'void') returns = { kind: 'void' };
  else if (row.return_columns)
    returns = { kind: 'composite', set: row.returns_set, columns: new Map(row.return_columns.map((c) => [c.name, c])) };
  else if (outputs.length > 0) {
    // OUT / TABLE parameters are named columns even when there is only one (Postgres then reports the
    // column's own type, not `record`): PostgREST answers objects, `[{"job_id": …}]`, not bare values.
    returns = { kind: 'composite', set: row.returns_set, columns: new Map(outputs.map((c) => [c.name, c])) };
  } else returns = { kind: 'scalar', set: row.returns_set };
  const volatility = row.volatility === 'v' ? 'volatile' : row.volatility === 's' ? 'stable' : 'immutable';
  return { name: row.name, params, returns, volatility };
}

async function loadSchema(db: Pool): Promise<SchemaSnapshot> {
  const [relationsResult, routinesResult, settingsResult] = await Promise.all([
    db.query(RELATIONS_SQL),
    db.query(ROUTINES_SQL),
    db.query(ROLE_SETTINGS_SQL),
  ]);
  const relations = new Map<string, Relation>();
  for (const raw of relationsResult.rows) {
    const row = relationRowSchema.parse(raw);
    relations.set(row.name, {
      name: row.name,
      columns: new Map(row.columns.map((c) => [c.name, c])),
      primaryKey: row.primary_key,
    });
  }
  const routines = new Map<string, Routine[]>();
  for (const raw of routinesResult.rows) {
    const routine = toRoutine(routineRowSchema.parse(raw));
    routines.set(routine.name, [...(routines.get(routine.name) ?? []), routine]);
  }
  const roleSettings = new Map<string, Record<string, string>>();
  for (const raw of settingsResult.rows) {
    const row = roleSettingRowSchema.parse(raw);
    const current = roleSettings.get(row.role) ?? {};
    for (const entry of row.settings) {
      const eq = entry.indexOf('=');
      const name = entry.slice(0, eq);
      if (eq > 0 && APPLIED_ROLE_SETTINGS.has(name)) current[name] = entry.slice(eq + 1);
    }
    roleSettings.set(row.role, current);
  }
  const fingerprint = JSON.stringify([relationsResult.rows, routinesResult.rows, settingsResult.rows]);
  return { relations, routines, roleSettings, fingerprint };
}

export class SchemaCache {
  private snapshot: SchemaSnapshot | undefined;
  private running: Promise<unknown> | undefined;
  private queued: Promise<SchemaSnapshot> | undefined;

  constructor(private readonly db: Pool) {}

  /** The current snapshot, loading it the first time. */
  async get(): Promise<SchemaSnapshot> {
    return this.snapshot ?? this.reload();
  }

  /**
   * Re-reads the catalog, from a load that starts after this call (a load already running may have
   * read the catalog before the caller's table existed). Callers arriving meanwhile share that load.
   */
  reload(): Promise<SchemaSnapshot> {
    if (this.queued) return this.queued;
    const previous = this.running ?? Promise.resolve();
    const next = previous
      .catch(() => undefined)
      .then(async () => {
        this.queued = undefined;
        const load = loadSchema(this.db);
        this.running = load;
        try {
          this.snapshot = await load;
          return this.snapshot;
        } finally {
          if (this.running === load) this.running = undefined;
        }
      });
    this.queued = next;
    return next;
  }
}
