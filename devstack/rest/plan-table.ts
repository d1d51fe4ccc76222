import { buildDelete, buildInsert, buildTableRead, buildUpdate, type BodyShape } from './build-sql';
import { invalidBody, maxAffectedViolation, queryParamError, singularityError, tableNotFound } from './errors';
import type { Plan, Reply } from './execute';
import type { Preferences, ResponseShape } from './headers';
import type { ParsedQuery } from './parse-query';
import { readRange, writeContentRange } from './range';
import type { Relation, SchemaSnapshot } from './schema-cache';
import type { ResultRow } from './sql';

/**
 * Request → statement → reply for `/rest/v1/<table>`: the status codes, Content-Range and
 * representation rules of docs/protocols.md §2.3.
 */

export type TableInput = {
  name: string;
  query: ParsedQuery;
  shape: ResponseShape;
  prefs: Preferences;
  method: string;
};

function relationOf(schema: SchemaSnapshot, name: string): Relation {
  const relation = schema.relations.get(name);
  if (!relation) throw tableNotFound(name);
  return relation;
}

function counts(row: ResultRow): { pageTotal: number; total: number | null } {
  return { pageTotal: Number(row.page_total), total: row.total === null ? null : Number(row.total) };
}

export function readPlan(input: TableInput): (schema: SchemaSnapshot) => Plan {
  const { query, shape, prefs } = input;
  return (schema) => ({
    query: buildTableRead(relationOf(schema, input.name), {
      query,
      count: prefs.count,
      shape: input.method === 'HEAD' ? 'none' : shape.single ? 'object' : 'array',
      stripNulls: shape.stripNulls,
    }),
    readOnly: true,
    finish: (row) => {
      const { pageTotal, total } = counts(row);
      if (shape.single && pageTotal !== 1) throw singularityError(pageTotal);
      const range = readRange(query.offset ?? 0, pageTotal, total);
      return { status: range.status, headers: { 'Content-Range': range.contentRange }, body: row.body };
    },
  });
}

type WriteKind = 'insert' | 'update' | 'delete';

/** Checks shared by all writes, run inside the transaction so a failure rolls the write back. */
function finishWrite(kind: WriteKind, input: TableInput, returnRows: boolean, row: ResultRow): Reply {
  const { pageTotal } = counts(row);
  if (input.shape.single && pageTotal !== 1) throw singularityError(pageTotal);
  if (input.prefs.strict && input.prefs.maxAffected !== undefined && pageTotal > input.prefs.maxAffected) {
    throw maxAffectedViolation(pageTotal);
  }
  const headers = { 'Content-Range': writeContentRange(kind, pageTotal, input.prefs.count) };
  if (kind === 'insert') return { status: 201, headers, body: returnRows ? row.body : null };
  return returnRows ? { status: 200, headers, body: row.body } : { status: 204, headers, body: null };
}

function writeShape(input: TableInput): { returnRows: boolean; shape: BodyShape } {
  const returnRows = input.prefs.return === 'representation';
  return { returnRows, shape: input.shape.single ? 'object' : 'array' };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw invalidBody('Empty or invalid json');
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The insert's columns: the `columns` parameter, else the payload's keys. Without `columns`, every
 * object of an array must have the same keys (PostgREST's rule).
 */
export function insertColumns(payload: unknown, columnsParam: string[] | undefined): string[] {
  const rows = Array.isArray(payload) ? payload : [payload];
  if (!rows.every(isObject)) throw invalidBody('The JSON body must be an object or an array of objects');
  if (columnsParam) return columnsParam;
  const first = rows[0];
  if (!first) return [];
  const keys = Object.keys(first);
  const signature = [...keys].sort().join('\u0000');
  if (rows.some((r) => Object.keys(r).sort().join('\u0000') !== signature))
    throw invalidBody('All object keys must match');
  return keys;
}

export function insertPlan(input: TableInput & { bodyText: string }): (schema: SchemaSnapshot) => Plan {
  const payload = parseJson(input.bodyText);
  const columns = insertColumns(payload, input.query.columns);
  const { returnRows, shape } = writeShape(input);
  return (schema) => ({
    query: buildInsert({
      relation: relationOf(schema, input.name),
      query: input.query,
      returnRows,
      shape,
      stripNulls: input.shape.stripNulls,
      bodyText: input.bodyText,
      columns,
      resolution: input.prefs.resolution,
      missingDefault: input.prefs.missing === 'default',
    }),
    readOnly: false,
    finish: (row) => finishWrite('insert', input, returnRows, row),
  });
}

function rejectLimits(query: ParsedQuery): void {
  if (query.limit !== undefined || query.offset !== undefined) {
    throw queryParamError(
      'limit/offset are not supported on PATCH/DELETE by the devstack',
      'Filter the rows to change instead',
    );
  }
}

export function updatePlan(input: TableInput & { bodyText: string }): (schema: SchemaSnapshot) => Plan {
  rejectLimits(input.query);
  const payload = parseJson(input.bodyText);
  if (!isObject(payload)) throw invalidBody('The JSON body of a PATCH must be an object');
  const columns = input.query.columns ?? Object.keys(payload);
  const { returnRows, shape } = writeShape(input);
  return (schema) => {
    const relation = relationOf(schema, input.name);
    if (columns.length === 0) {
      // Nothing to set: PostgREST answers as if no row matched.
      return {
        query: { sql: `SELECT null::bigint AS total, 0 AS page_total, '[]'::text AS body`, params: [] },
        readOnly: true,
        finish: (row) => finishWrite('update', input, returnRows, row),
      };
    }
    return {
      query: buildUpdate({
        relation,
        query: input.query,
        returnRows,
        shape,
        stripNulls: input.shape.stripNulls,
        bodyText: input.bodyText,
        columns,
      }),
      readOnly: false,
      finish: (row) => finishWrite('update', input, returnRows, row),
    };
  };
}

export function deletePlan(input: TableInput): (schema: SchemaSnapshot) => Plan {
  rejectLimits(input.query);
  const { returnRows, shape } = writeShape(input);
  return (schema) => ({
    query: buildDelete({
      relation: relationOf(schema, input.name),
      query: input.query,
      returnRows,
      shape,
      stripNulls: input.shape.stripNulls,
    }),
    readOnly: false,
    finish: (row) => finishWrite('delete', input, returnRows, row),
  });
}
