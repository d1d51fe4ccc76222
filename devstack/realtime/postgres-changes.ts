import { z } from 'zod';

/**
 * Pure postgres_changes logic: the join params, their ids, filter strings and how a change is
 * matched and shaped for one subscriber. Mirrors the real server's `realtime.apply_rls`,
 * `is_visible_through_filters` and `check_equality_op` (protocols.md §1.5, §1.8), but compares in
 * JS with the column's type instead of casting in SQL.
 */

/**
 * One `config.postgres_changes` entry. Unknown keys are kept: the join reply must echo the
 * client's own map (plus `id`) or realtime-js reports a binding mismatch (protocols.md §1.6).
 */
export const pgChangeParamsSchema = z
  .object({
    event: z.string(),
    schema: z.string().optional(),
    table: z.string().optional(),
    filter: z.string().optional(),
  })
  .passthrough();

export type PgChangeParams = z.infer<typeof pgChangeParamsSchema>;

export type ChangeType = 'INSERT' | 'UPDATE' | 'DELETE';

export type FilterOp =
  'eq' | 'neq' | 'lt' | 'lte' | 'gt' | 'gte' | 'like' | 'ilike' | 'match' | 'imatch' | 'isdistinct';

export type Condition =
  | { column: string; op: FilterOp; negate: boolean; value: string }
  | { column: string; op: 'in'; negate: boolean; values: Array<string | null> }
  | { column: string; op: 'is'; negate: boolean; value: 'null' | 'true' | 'false' | 'unknown' };

export type ParseResult = { ok: true; conditions: Condition[] } | { ok: false; message: string };

export type Column = { name: string; type: string };

/**
 * The subscription id the real server puts in the join reply and in every push: `:erlang.phash2(params)`,
 * an integer in [0, 2^27). Any stable integer works for realtime-js as long as pushes reuse it, so
 * this hashes the canonical JSON of the params (FNV-1a) into the same range.
 */
export function subscriptionId(params: Record<string, unknown>): number {
  let hash = 0x811c9dc5;
  for (const char of canonicalJson(params)) {
    hash ^= char.charCodeAt(0);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash & 0x7ffffff;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, inner]) => `${JSON.stringify(key)}:${canonicalJson(inner)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Does the change's schema/table/type fall under these params? (Filters are checked separately.) */
export function matchesTarget(
  params: PgChangeParams,
  change: { schema: string; table: string; type: ChangeType },
): boolean {
  const event = params.event.toUpperCase();
  if (event !== '*' && event !== change.type) return false;
  const schema = params.schema ?? 'public';
  if (schema !== '*' && schema !== change.schema) return false;
  const table = params.table;
  return table === undefined || table === '*' || table === change.table;
}

/**
 * Splits at `separator` outside double quotes and parentheses: values may be PostgREST-quoted
 * (`"a,b"`) and `in.(1,2)` lists contain commas (realtime-js RealtimePostgresFilterBuilder).
 */
function splitTopLevel(text: string, separator: string): string[] | null {
  const parts: string[] = [];
  let current = '';
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const char = text.charAt(i);
    if (quoted) {
      current += char;
      if (char === '\\' && i + 1 < text.length) {
        current += text.charAt(i + 1);
        i += 1;
      } else if (char === '"') quoted = false;
      continue;
    }
    if (char === '"') quoted = true;
    else if (char === '(') depth += 1;
    else if (char === ')') depth -= 1;
    if (depth < 0) return null;
    if (char === separator && depth === 0) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  if (quoted || depth !== 0) return null;
  parts.push(current);
  return parts;
}

function unquote(value: string): string {
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    return value.slice(1, -1).replace(/\\(.)/g, '$1');
  }
  return value;
}

const SCALAR_OPS = new Set<string>([
  'eq',
  'neq',
  'lt',
  'lte',
  'gt',
  'gte',
  'like',
  'ilike',
  'match',
  'imatch',
  'isdistinct',
]);
const IS_VALUES = new Set<string>(['null', 'true', 'false', 'unknown']);

/** Parses `col=op.value[,col=op.value…]` (ANDed), with `not.` negation, as the real server does. */
export function parseFilter(filter: string | undefined): ParseResult {
  if (filter === undefined || filter.trim() === '') return { ok: true, conditions: [] };
  const parts = splitTopLevel(filter, ',');
  if (!parts) return { ok: false, message: `Error parsing \`filter\` params: ${filter}` };
  const conditions: Condition[] = [];
  for (const part of parts) {
    const eq = part.indexOf('=');
    if (eq <= 0) return { ok: false, message: `Error parsing \`filter\` params: ${part}` };
    const column = part.slice(0, eq).trim();
    let rest = part.slice(eq + 1);
    let negate = false;
    if (rest.startsWith('not.')) {
      negate = true;
      rest = rest.slice(4);
    }
    const dot = rest.indexOf('.');
    if (dot <= 0) return { ok: false, message: `Error parsing \`filter\` params: ${part}` };
    const op = rest.slice(0, dot);
    const raw = rest.slice(dot + 1);
    if (op === 'in') {
      if (!raw.startsWith('(') || !raw.endsWith(')')) {
        return { ok: false, message: `Error parsing \`filter\` params: ${part}` };
      }
      const items = splitTopLevel(raw.slice(1, -1), ',');
      if (!items || items.length === 0) return { ok: false, message: `Error parsing \`filter\` params: ${part}` };
      if (items.length > 100) return { ok: false, message: 'too many values for `in` filter. Maximum 100' };
      // An unquoted `null` is SQL NULL in an array literal; a quoted one is the text "null".
      const values = items.map((item) => (item.trim() === 'null' ? null : unquote(item.trim())));
      conditions.push({ column, op: 'in', negate, values });
    } else if (op === 'is') {
      const value = raw.toLowerCase();
      if (!IS_VALUES.has(value)) {
        return { ok: false, message: 'invalid value for is filter: must be null, true, false, or unknown' };
      }
      conditions.push({ column, op: 'is', negate, value: value as 'null' | 'true' | 'false' | 'unknown' });
    } else if (SCALAR_OPS.has(op)) {
      conditions.push({ column, op: op as FilterOp, negate, value: unquote(raw) });
    } else {
      return { ok: false, message: `Error parsing \`filter\` params: unsupported operator ${op}` };
    }
  }
  return { ok: true, conditions };
}

// ---- typed comparison ------------------------------------------------------------------------

type Kind = 'number' | 'bool' | 'uuid' | 'time' | 'json' | 'text';

const NUMBER_TYPES = new Set(['int2', 'int4', 'int8', 'float4', 'float8', 'numeric', 'oid']);
const TIME_TYPES = new Set(['timestamptz', 'timestamp', 'date']);

function kindOf(type: string): Kind {
  if (NUMBER_TYPES.has(type)) return 'number';
  if (type === 'bool') return 'bool';
  if (type === 'uuid') return 'uuid';
  if (TIME_TYPES.has(type)) return 'time';
  if (type === 'json' || type === 'jsonb') return 'json';
  return 'text';
}

/** A value as SQL would compare it; `undefined` = cannot be cast (the real server's cast would fail). */
type Comparable = number | boolean | string;

function fromFilter(kind: Kind, type: string, text: string): Comparable | undefined {
  switch (kind) {
    case 'number': {
      if (text.trim() === '') return undefined;
      const n = Number(text);
      return Number.isNaN(n) ? undefined : n;
    }
    case 'bool': {
      const t = text.trim().toLowerCase();
      if (['t', 'true', 'yes', 'y', 'on', '1'].includes(t)) return true;
      if (['f', 'false', 'no', 'n', 'off', '0'].includes(t)) return false;
      return undefined;
    }
    case 'uuid': {
      const t = text.trim().toLowerCase().replace(/[{}-]/g, '');
      return /^[0-9a-f]{32}$/.test(t) ? t : undefined;
    }
    case 'time': {
      const ms = parseTime(type, text);
      return ms === undefined ? undefined : ms;
    }
    case 'json':
      try {
        return canonicalJson(JSON.parse(text));
      } catch {
        return undefined;
      }
    case 'text':
      return type === 'bpchar' ? text.trimEnd() : text;
  }
}

function fromRecord(kind: Kind, type: string, value: unknown): Comparable | null | undefined {
  if (value === null || value === undefined) return null;
  if (kind === 'json') return canonicalJson(value);
  if (typeof value === 'string') return fromFilter(kind, type, value);
  if (typeof value === 'number' || typeof value === 'boolean') return fromFilter(kind, type, String(value));
  // Arrays, composites: compare their JSON text (good enough for eq/neq on a dev stack).
  return canonicalJson(value);
}

function parseTime(type: string, text: string): number | undefined {
  const t = text.trim();
  // Timestamps without a zone (and dates) are compared as if UTC: both sides get the same treatment.
  const hasZone = /(z|[+-]\d\d(:?\d\d)?)$/i.test(t) && type === 'timestamptz';
  const normalised = t.replace(' ', 'T');
  const ms = Date.parse(
    hasZone ? normalised : `${normalised}${type === 'date' && !normalised.includes('T') ? 'T00:00:00' : ''}Z`,
  );
  return Number.isNaN(ms) ? undefined : ms;
}

function compare(a: Comparable, b: Comparable): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

function likeToRegExp(pattern: string, caseInsensitive: boolean): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i += 1) {
    const char = pattern.charAt(i);
    if (char === '\\' && i + 1 < pattern.length) {
      source += escapeRegExp(pattern.charAt(i + 1));
      i += 1;
    } else if (char === '%') source += '[\\s\\S]*';
    else if (char === '_') source += '[\\s\\S]';
    else source += escapeRegExp(char);
  }
  return new RegExp(`^${source}$`, caseInsensitive ? 'i' : '');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * Checks conditions against the columns of a table before subscribing, like the real
 * `subscription_check_filters` trigger; returns the error message, or `null` when all is well.
 */
export function validateConditions(conditions: Condition[], columns: Column[]): string | null {
  for (const condition of conditions) {
    const column = columns.find((c) => c.name === condition.column);
    if (!column) return `invalid column for filter ${condition.column}`;
    const kind = kindOf(column.type);
    if (condition.op === 'in') {
      for (const value of condition.values) {
        if (value !== null && fromFilter(kind, column.type, value) === undefined) {
          return `invalid input syntax for type ${column.type}: "${value}"`;
        }
      }
    } else if (condition.op === 'is') {
      if (condition.value !== 'null' && kind !== 'bool') {
        return `is ${condition.value} filter requires a boolean column, got ${column.type}`;
      }
    } else if (['like', 'ilike', 'match', 'imatch'].includes(condition.op)) {
      if (kind !== 'text') {
        return `operator ${condition.op} requires a text-compatible column type, got ${column.type}`;
      }
      if (condition.op === 'match' || condition.op === 'imatch') {
        try {
          new RegExp(condition.value);
        } catch (error) {
          return `invalid regular expression for ${condition.op} filter: ${(error as Error).message}`;
        }
      }
    } else if (fromFilter(kind, column.type, condition.value) === undefined) {
      return `invalid input syntax for type ${column.type}: "${condition.value}"`;
    }
  }
  return null;
}

/** SQL three-valued result of one condition: `null` is SQL NULL (which never passes). */
function evaluate(condition: Condition, type: string, raw: unknown): boolean | null {
  const kind = kindOf(type);
  const value = fromRecord(kind, type, raw);
  if (value === undefined) return null;
  const negate = (result: boolean | null): boolean | null =>
    result === null ? null : condition.negate ? !result : result;
  switch (condition.op) {
    case 'is': {
      // `is` is never NULL itself; `not.` gives IS NOT.
      let result: boolean;
      if (condition.value === 'null' || condition.value === 'unknown') result = value === null;
      else result = value === (condition.value === 'true');
      return condition.negate ? !result : result;
    }
    case 'isdistinct': {
      const other = fromFilter(kind, type, condition.value);
      if (other === undefined) return null;
      const distinct = value === null || compare(value, other) !== 0;
      return condition.negate ? !distinct : distinct;
    }
    case 'in': {
      if (value === null) return null;
      let sawNull = false;
      for (const item of condition.values) {
        if (item === null) {
          sawNull = true;
          continue;
        }
        const other = fromFilter(kind, type, item);
        if (other !== undefined && compare(value, other) === 0) return negate(true);
      }
      // `x = any('{1,NULL}')` is NULL, not false, when nothing matched.
      return sawNull ? null : negate(false);
    }
    default: {
      if (value === null) return null;
      if (condition.op === 'like' || condition.op === 'ilike') {
        return negate(likeToRegExp(condition.value, condition.op === 'ilike').test(String(value)));
      }
      if (condition.op === 'match' || condition.op === 'imatch') {
        try {
          return negate(new RegExp(condition.value, condition.op === 'imatch' ? 'i' : '').test(String(value)));
        } catch {
          return null;
        }
      }
      const other = fromFilter(kind, type, condition.value);
      if (other === undefined) return null;
      const order = compare(value, other);
      // json has no ordering operators worth emulating: only equality is meaningful.
      if (kind === 'json' && condition.op !== 'eq' && condition.op !== 'neq') return null;
      switch (condition.op) {
        case 'eq':
          return negate(order === 0);
        case 'neq':
          return negate(order !== 0);
        case 'lt':
          return negate(order < 0);
        case 'lte':
          return negate(order <= 0);
        case 'gt':
          return negate(order > 0);
        case 'gte':
          return negate(order >= 0);
        default:
          return null;
      }
    }
  }
}

/**
 * All conditions must hold. Fail closed like `is_visible_through_filters`: a condition on a column
 * the row does not carry (e.g. a non-key column of a DELETE's old row) does not match.
 */
export function matchesConditions(
  conditions: Condition[],
  row: Record<string, unknown> | null,
  columns: Column[],
): boolean {
  if (conditions.length === 0) return true;
  if (!row) return false;
  for (const condition of conditions) {
    if (!Object.prototype.hasOwnProperty.call(row, condition.column)) return false;
    const column = columns.find((c) => c.name === condition.column);
    if (!column) return false;
    if (evaluate(condition, column.type, row[condition.column]) !== true) return false;
  }
  return true;
}

// ---- payload shaping ---------------------------------------------------------------------------

export type StoredChange = {
  schema: string;
  table: string;
  type: ChangeType;
  /** `to_jsonb(NEW)` for INSERT/UPDATE. */
  record: Record<string, unknown> | null;
  /** Replica-identity columns of OLD (the primary key by default) for UPDATE/DELETE. */
  oldRecord: Record<string, unknown> | null;
  /** Already formatted `YYYY-MM-DDTHH:MI:SS.MSZ`. */
  commitTimestamp: string;
};

export type TableMeta = {
  columns: Column[];
  primaryKey: string[];
  rlsEnabled: boolean;
};

/** The `data` object of a postgres_changes push (protocols.md §1.8). */
export type ChangeData = {
  schema: string;
  table: string;
  type: ChangeType;
  commit_timestamp?: string;
  columns?: Column[];
  record?: Record<string, unknown>;
  old_record?: Record<string, unknown>;
  errors: string[] | null;
};

/** The real server's default `max_record_bytes`. */
export const MAX_RECORD_BYTES = 1024 * 1024;

/**
 * Pre-visibility errors of `apply_rls`: a table without a primary key, or a role that cannot read
 * the key, gets only `{schema, table, type, errors}` for INSERT/UPDATE.
 */
export function precheckError(change: StoredChange, meta: TableMeta, selectable: ReadonlySet<string>): string | null {
  if (change.type === 'DELETE') return null;
  if (meta.primaryKey.length === 0) return 'Error 400: Bad Request, no primary key';
  if (!meta.primaryKey.every((name) => selectable.has(name))) return 'Error 401: Unauthorized';
  return null;
}

export function errorData(change: StoredChange, error: string): ChangeData {
  return { schema: change.schema, table: change.table, type: change.type, errors: [error] };
}

/** Builds `data` for one role: only columns it can SELECT; DELETE on an RLS table sends key columns only. */
export function shapeChangeData(change: StoredChange, meta: TableMeta, selectable: ReadonlySet<string>): ChangeData {
  const tooBig = Buffer.byteLength(JSON.stringify([change.record, change.oldRecord])) > MAX_RECORD_BYTES;
  // Over max_record_bytes the real server keeps only values of at most 64 bytes and flags 413.
  const keep = (value: unknown): boolean => !tooBig || Buffer.byteLength(JSON.stringify(value) ?? '') <= 64;
  const pick = (row: Record<string, unknown> | null, allow: (name: string) => boolean): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    if (!row) return out;
    for (const [name, value] of Object.entries(row)) {
      if (selectable.has(name) && allow(name) && keep(value)) out[name] = value;
    }
    return out;
  };
  const data: ChangeData = {
    schema: change.schema,
    table: change.table,
    type: change.type,
    commit_timestamp: change.commitTimestamp,
    columns: meta.columns.filter((column) => selectable.has(column.name)),
    errors: tooBig ? ['Error 413: Payload Too Large'] : null,
  };
  if (change.type !== 'DELETE') data.record = pick(change.record, () => true);
  if (change.type === 'UPDATE') data.old_record = pick(change.oldRecord, () => true);
  if (change.type === 'DELETE') {
    data.old_record = pick(change.oldRecord, (name) => !meta.rlsEnabled || meta.primaryKey.includes(name));
  }
  return data;
}
