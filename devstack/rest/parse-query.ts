import { queryParamError } from './errors';

/**
 * PostgREST's query-string grammar (docs/protocols.md §2.2), the subset the app uses: `select` (columns,
 * `*`, `alias:col`, `col::type`, `col->key->>key`), filters with `not.` and `(any)`/`(all)`, `or`/`and`
 * trees (nested), `order`, `limit`, `offset`, `columns`, `on_conflict`. Pure: names are checked against
 * the schema cache later, when the SQL is built.
 */

type JsonStep = { arrow: '->' | '->>'; key: string };
export type Field = { name: string; path: JsonStep[] };

export type SelectItem =
  { kind: 'star' } | { kind: 'field'; field: Field; alias: string | undefined; cast: string | undefined };

const filterOps = [
  'eq',
  'neq',
  'gt',
  'gte',
  'lt',
  'lte',
  'like',
  'ilike',
  'match',
  'imatch',
  'in',
  'is',
  'isdistinct',
  'cs',
  'cd',
  'ov',
] as const;
type FilterOp = (typeof filterOps)[number];
const quantifiableOps: ReadonlySet<FilterOp> = new Set([
  'eq',
  'neq',
  'gt',
  'gte',
  'lt',
  'lte',
  'like',
  'ilike',
  'match',
  'imatch',
]);
const isValues = ['null', 'not_null', 'true', 'false', 'unknown'] as const;
type IsValue = (typeof isValues)[number];

export type Filter = {
  kind: 'filter';
  field: Field;
  negated: boolean;
} & (
  | { op: 'in'; values: string[] }
  | { op: 'is'; value: IsValue }
  | { op: Exclude<FilterOp, 'in' | 'is'>; quantifier: 'any' | 'all' | undefined; value: string }
);

export type LogicTree = { kind: 'logic'; op: 'and' | 'or'; negated: boolean; children: Condition[] };
export type Condition = Filter | LogicTree;

export type OrderTerm = { field: Field; direction: 'asc' | 'desc'; nulls: 'first' | 'last' | undefined };

export type ParsedQuery = {
  select: SelectItem[];
  /** Top-level conditions, ANDed. */
  where: Condition[];
  order: OrderTerm[];
  limit: number | undefined;
  offset: number | undefined;
  columns: string[] | undefined;
  onConflict: string[] | undefined;
};

const RESERVED = new Set(['select', 'order', 'limit', 'offset', 'columns', 'on_conflict']);

/**
 * Splits on `sep` at nesting depth 0, outside double quotes (backslash escapes inside quotes),
 * e.g. `a.eq.1,or(b.eq.2,c.eq.3),d.in.("x,y")` → three parts.
 */
export function splitTopLevel(text: string, sep = ','): string[] | null {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      current += ch;
      if (ch === '\\' && i + 1 < text.length) current += text[++i];
      else if (ch === '"') quoted = false;
      continue;
    }
    if (ch === '"') quoted = true;
    else if (ch === '(') depth++;
    else if (ch === ')') {
      depth--;
      if (depth < 0) return null;
    } else if (ch === sep && depth === 0) {
      parts.push(current);
      current = '';
      continue;
    }
    current += ch;
  }
  if (quoted || depth !== 0) return null;
  parts.push(current);
  return parts;
}

/** `"a \"b\""` → `a "b"`; anything unquoted is returned as is. */
function unquote(text: string): string {
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) {
    return text.slice(1, -1).replace(/\\(.)/g, '$1');
  }
  return text;
}

/** `col`, `"my col"`, `data->a->>b` (keys may be quoted). Returns null when malformed. */
export function parseField(text: string): Field | null {
  const trimmed = text.trim();
  if (trimmed.startsWith('"')) {
    const end = trimmed.indexOf('"', 1);
    if (end < 0) return null;
    const name = trimmed.slice(1, end);
    const rest = parseJsonPath(trimmed.slice(end + 1));
    return name.length > 0 && rest ? { name, path: rest } : null;
  }
  const arrow = trimmed.indexOf('->');
  const name = arrow < 0 ? trimmed : trimmed.slice(0, arrow);
  if (!/^[^\s.,():"*!]+$/.test(name)) return null;
  const path = arrow < 0 ? [] : parseJsonPath(trimmed.slice(arrow));
  return path ? { name, path } : null;
}

function parseJsonPath(text: string): JsonStep[] | null {
  const steps: JsonStep[] = [];
  const re = /^(->>|->)("(?:[^"\\]|\\.)*"|[^\s\-.,():"]+)/;
  let rest = text;
  while (rest.length > 0) {
    const m = re.exec(rest);
    if (!m) return null;
    steps.push({ arrow: m[1] as JsonStep['arrow'], key: unquote(m[2]!) });
    rest = rest.slice(m[0].length);
  }
  return steps;
}

export function parseSelect(raw: string): SelectItem[] {
  const fail = (details: string) => queryParamError(`failed to parse select parameter (${raw})`, details);
  if (raw.trim() === '') return [{ kind: 'star' }];
  const parts = splitTopLevel(raw);
  if (!parts) throw fail('unbalanced parentheses or quotes');
  return parts.map((part) => {
    const item = part.trim();
    if (item === '*') return { kind: 'star' };
    if (item.includes('(') || item.startsWith('...')) {
      throw queryParamError(
        `failed to parse select parameter (${raw})`,
        `embedded resources and aggregates are not supported by the devstack (in "${item}")`,
      );
    }
    let body = item;
    let cast: string | undefined;
    const castAt = body.lastIndexOf('::');
    if (castAt >= 0) {
      cast = body.slice(castAt + 2);
      body = body.slice(0, castAt);
      // Cast types are spliced into SQL, so only plain type names are accepted.
      if (!/^[A-Za-z_][A-Za-z0-9_ ]*(\[\])?$/.test(cast)) throw fail(`invalid cast "${cast}"`);
    }
    let alias: string | undefined;
    const colon = findAliasColon(body);
    if (colon >= 0) {
      alias = unquote(body.slice(0, colon).trim());
      body = body.slice(colon + 1);
      if (alias === '') throw fail('empty alias');
    }
    const field = parseField(body);
    if (!field) throw fail(`unexpected "${item}"`);
    return { kind: 'field', field, alias, cast };
  });
}

/** The `:` of `alias:col`, ignoring `::` casts and quoted names. */
function findAliasColon(text: string): number {
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === ':' && text[i + 1] !== ':' && text[i - 1] !== ':') return i;
  }
  return -1;
}

/** `(a,"b,c",d)` → `['a', 'b,c', 'd']`. */
export function parseList(text: string): string[] | null {
  if (!text.startsWith('(') || !text.endsWith(')')) return null;
  const inner = text.slice(1, -1);
  if (inner === '') return [];
  const parts = splitTopLevel(inner);
  return parts ? parts.map(unquote) : null;
}

/**
 * `[not.]op[(any|all)].value` as written after `col=` (top level) or after `col.` (inside a logic
 * tree, where the value may be double-quoted).
 */
function parseOperation(field: Field, text: string, insideTree: boolean, raw: string): Filter {
  const fail = (details: string) => queryParamError(`failed to parse filter (${raw})`, details);
  let rest = text;
  let negated = false;
  if (rest.startsWith('not.')) {
    negated = true;
    rest = rest.slice(4);
  }
  const m = /^([a-z]+)(?:\((any|all)\))?\./.exec(rest);
  if (!m) throw fail(`expected an operator followed by "." in "${text}"`);
  const opName = m[1]!;
  const quantifier = m[2] as 'any' | 'all' | undefined;
  if (!(filterOps as readonly string[]).includes(opName)) throw fail(`unknown or unsupported operator "${opName}"`);
  const op = opName as FilterOp;
  if (quantifier && !quantifiableOps.has(op)) throw fail(`operator "${op}" does not take (${quantifier})`);
  let value = rest.slice(m[0].length);
  if (op === 'in') {
    const values = parseList(value);
    if (!values) throw fail(`expected a parenthesised list after "in." in "${text}"`);
    return { kind: 'filter', field, negated, op, values };
  }
  if (op === 'is') {
    const lowered = value.toLowerCase();
    if (!(isValues as readonly string[]).includes(lowered))
      throw fail(`"is" takes null, not_null, true, false or unknown, not "${value}"`);
    return { kind: 'filter', field, negated, op, value: lowered as IsValue };
  }
  if (insideTree) value = unquote(value);
  return { kind: 'filter', field, negated, op, quantifier, value };
}

/** A logic tree value: `(cond,cond,…)` where cond is `col.op.value`, `and(...)`, `or(...)`, `not.and(...)`. */
export function parseLogicTree(op: 'and' | 'or', negated: boolean, value: string, raw: string): LogicTree {
  const fail = (details: string) => queryParamError(`failed to parse logic tree (${raw})`, details);
  if (!value.startsWith('(') || !value.endsWith(')')) throw fail(`expected "(" ... ")" in "${value}"`);
  const parts = splitTopLevel(value.slice(1, -1));
  if (!parts || parts.length === 0 || parts.some((p) => p.trim() === '')) throw fail('unbalanced or empty conditions');
  const children = parts.map((part): Condition => {
    const item = part.trim();
    const tree = /^(not\.)?(and|or)(\(.*\))$/s.exec(item);
    if (tree) return parseLogicTree(tree[2] as 'and' | 'or', tree[1] !== undefined, tree[3]!, raw);
    const dot = item.search(/\.(?=(not\.)?[a-z]+(\((any|all)\))?\.)/);
    if (dot <= 0) throw fail(`expected "column.operator.value" in "${item}"`);
    const field = parseField(item.slice(0, dot));
    if (!field) throw fail(`invalid column "${item.slice(0, dot)}"`);
    return parseOperation(field, item.slice(dot + 1), true, raw);
  });
  return { kind: 'logic', op, negated, children };
}

export function parseOrder(raw: string): OrderTerm[] {
  const fail = (details: string) => queryParamError(`failed to parse order (${raw})`, details);
  const parts = splitTopLevel(raw);
  if (!parts) throw fail('unbalanced quotes');
  return parts.map((part) => {
    const item = part.trim();
    const m = /^(.+?)(?:\.(asc|desc))?(?:\.(nullsfirst|nullslast))?$/.exec(item);
    const field = m ? parseField(m[1]!) : null;
    if (!m || !field) throw fail(`unexpected "${item}", expected column[.asc|.desc][.nullsfirst|.nullslast]`);
    const nulls = m[3] === 'nullsfirst' ? 'first' : m[3] === 'nullslast' ? 'last' : undefined;
    return { field, direction: m[2] === 'desc' ? 'desc' : 'asc', nulls };
  });
}

function parseNonNegativeInt(name: 'limit' | 'offset', raw: string): number {
  if (!/^\d+$/.test(raw))
    throw queryParamError(`failed to parse ${name} parameter (${raw})`, 'expected a non-negative integer');
  return Number(raw);
}

/** `columns` and `on_conflict`: comma-separated column names, each optionally double-quoted. */
export function parseColumnList(name: string, raw: string): string[] {
  const parts = splitTopLevel(raw);
  const names = parts?.map((p) => unquote(p.trim()));
  if (!names || names.some((n) => n === ''))
    throw queryParamError(`failed to parse ${name} parameter (${raw})`, 'expected comma-separated column names');
  return names;
}

/**
 * Parses the whole query string. `argNames` are keys consumed as RPC arguments (GET /rpc/fn), so they
 * are not read as filters.
 */
export function parseQuery(params: URLSearchParams, argNames: ReadonlySet<string> = new Set()): ParsedQuery {
  const query: ParsedQuery = {
    select: [{ kind: 'star' }],
    where: [],
    order: [],
    limit: undefined,
    offset: undefined,
    columns: undefined,
    onConflict: undefined,
  };
  for (const [key, value] of params) {
    if (argNames.has(key)) continue;
    if (key === 'select') query.select = parseSelect(value);
    else if (key === 'order') query.order.push(...parseOrder(value));
    else if (key === 'limit') query.limit = parseNonNegativeInt('limit', value);
    else if (key === 'offset') query.offset = parseNonNegativeInt('offset', value);
    else if (key === 'columns') query.columns = parseColumnList('columns', value);
    else if (key === 'on_conflict') query.onConflict = parseColumnList('on_conflict', value);
    else {
      const tree = /^(not\.)?(and|or)$/.exec(key);
      if (tree) {
        query.where.push(parseLogicTree(tree[2] as 'and' | 'or', tree[1] !== undefined, value, `${key}=${value}`));
        continue;
      }
      const field = parseField(key);
      if (!field) {
        throw queryParamError(
          `failed to parse filter (${key}=${value})`,
          key.includes('.')
            ? 'filters on embedded resources are not supported by the devstack'
            : `invalid column "${key}"`,
        );
      }
      query.where.push(parseOperation(field, value, false, `${key}=${value}`));
    }
  }
  return query;
}

export function isReservedParam(key: string): boolean {
  return RESERVED.has(key) || /^(not\.)?(and|or)$/.test(key);
}
