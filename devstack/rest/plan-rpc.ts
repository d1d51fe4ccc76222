import { buildRpc } from './build-rpc';
import { invalidBody, singularityError } from './errors';
import type { Plan, Reply } from './execute';
import type { Preferences, ResponseShape } from './headers';
import { isReservedParam, parseQuery } from './parse-query';
import { readRange } from './range';
import { resolveRoutine } from './resolve-routine';
import type { SchemaSnapshot } from './schema-cache';

/**
 * Request → statement → reply for `/rest/v1/rpc/<fn>`. POST takes the arguments from the JSON body,
 * GET/HEAD from the query string (other query keys filter a set result). GET runs READ ONLY, so a
 * volatile function fails with 25006 → 405 as under PostgREST; POST runs READ ONLY for stable and
 * immutable functions.
 */

export type RpcInput = {
  name: string;
  method: string;
  params: URLSearchParams;
  bodyText: string;
  shape: ResponseShape;
  prefs: Preferences;
};

export function rpcPlan(input: RpcInput): (schema: SchemaSnapshot) => Plan {
  const reading = input.method === 'GET' || input.method === 'HEAD';
  let keys: string[];
  if (reading) {
    keys = [...new Set(input.params.keys())].filter((k) => !isReservedParam(k));
  } else {
    // An empty body calls the function without arguments.
    const text = input.bodyText.trim() === '' ? '{}' : input.bodyText;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw invalidBody('Empty or invalid json');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw invalidBody('The JSON body of an RPC call must be an object of named arguments');
    }
    keys = Object.keys(parsed);
  }
  return (schema) => {
    const resolved = resolveRoutine(input.name, schema.routines.get(input.name) ?? [], keys, reading ? 'GET' : 'POST');
    const query = parseQuery(input.params, new Set(reading ? resolved.argNames : []));
    const argsText = reading
      ? JSON.stringify(Object.fromEntries(resolved.argNames.map((n) => [n, input.params.get(n)])))
      : input.bodyText.trim() === ''
        ? '{}'
        : input.bodyText;
    const returns = resolved.routine.returns;
    return {
      query: buildRpc({
        resolved,
        argsText,
        query,
        count: input.prefs.count,
        shape: input.method === 'HEAD' ? 'none' : input.shape.single ? 'object' : 'array',
        stripNulls: input.shape.stripNulls,
      }),
      readOnly: reading || resolved.routine.volatility !== 'volatile',
      finish: (row): Reply => {
        if (returns.kind === 'void') return { status: 204, headers: {}, body: null };
        const pageTotal = Number(row.page_total);
        const total = row.total === null ? null : Number(row.total);
        if (input.shape.single && pageTotal !== 1) throw singularityError(pageTotal);
        const range = readRange(query.offset ?? 0, pageTotal, total);
        const body = input.prefs.return === 'minimal' ? null : row.body;
        return { status: range.status, headers: { 'Content-Range': range.contentRange }, body };
      },
    };
  };
}
