import { buildRead, tableName, type BodyShape } from './build-sql';
import type { ParsedQuery } from './parse-query';
import type { ResolvedRoutine } from './resolve-routine';
import { SqlParams, quoteIdent, type BuiltQuery } from './sql';

/**
 * `POST|GET /rpc/<fn>`: the call, with arguments converted from JSON by `json_to_record` against the
 * parameter types (as PostgREST does), so `{1,2}` strings from GET and JSON arrays from POST both
 * reach an `int[]` parameter. The result is shaped by the return type: scalar → bare JSON value,
 * composite → object, SETOF/TABLE → array (filterable and orderable), void → no body.
 */

export type RpcOptions = {
  resolved: ResolvedRoutine;
  /** JSON object text of the arguments (GET: the query values as strings; POST: the raw body). */
  argsText: string;
  query: ParsedQuery;
  count: boolean;
  shape: BodyShape;
  stripNulls: boolean;
};

function callSql(resolved: ResolvedRoutine, params: SqlParams, argsText: string): { from: string; call: string } {
  const fn = tableName({ name: resolved.routine.name, columns: new Map(), primaryKey: [] });
  if (resolved.singleJson) {
    const type = resolved.routine.params[0]?.type ?? 'json';
    return { from: '', call: `${fn}(${params.add(argsText)}::${type})` };
  }
  if (resolved.argNames.length === 0) return { from: '', call: `${fn}()` };
  const types = new Map(resolved.routine.params.map((p) => [p.name, p.type]));
  const defs = resolved.argNames.map((n) => `${quoteIdent(n)} ${types.get(n) ?? 'text'}`).join(', ');
  const args = resolved.argNames.map((n) => `${quoteIdent(n)} => _a.${quoteIdent(n)}`).join(', ');
  return {
    from: `json_to_record(${params.add(argsText)}::json) AS _a(${defs}) CROSS JOIN LATERAL `,
    call: `${fn}(${args})`,
  };
}

export function buildRpc(options: RpcOptions): BuiltQuery {
  const params = new SqlParams();
  const { routine } = options.resolved;
  const { from, call } = callSql(options.resolved, params, options.argsText);
  const returns = routine.returns;
  if (returns.kind === 'composite') {
    return buildRead({
      sourceSql: `SELECT _f.* FROM ${from}${call} AS _f`,
      materialize: true,
      target: { name: routine.name, columns: returns.columns },
      query: options.query,
      count: options.count,
      // A function returning one composite answers an object, not an array.
      shape: returns.set ? options.shape : options.shape === 'none' ? 'none' : 'object',
      stripNulls: options.stripNulls,
      params,
    });
  }
  if (returns.kind === 'void') {
    return {
      sql: `SELECT null::bigint AS total, count(*) AS page_total, null::text AS body FROM ${from}${call} AS _f`,
      params: params.values,
    };
  }
  // Scalars have no columns to select, filter or order by; a set of scalars can still be paged.
  const limit =
    returns.set && options.query.limit !== undefined ? ` LIMIT ${params.add(options.query.limit)}::bigint` : '';
  const offset =
    returns.set && options.query.offset !== undefined ? ` OFFSET ${params.add(options.query.offset)}::bigint` : '';
  const single = !returns.set || options.shape === 'object';
  const json = single
    ? `(json_agg(pgrst_page.pgrst_scalar)->0)`
    : `coalesce(json_agg(pgrst_page.pgrst_scalar), '[]'::json)`;
  const body =
    options.shape === 'none' ? 'null::text' : `${options.stripNulls ? `json_strip_nulls(${json})` : json}::text`;
  const total = options.count && returns.set ? '(SELECT count(*) FROM pgrst_source)' : 'null::bigint';
  const sql =
    `WITH pgrst_source AS MATERIALIZED (SELECT _f.pgrst_scalar FROM ${from}${call} AS _f(pgrst_scalar)) ` +
    `SELECT ${total} AS total, count(*) AS page_total, ${body} AS body FROM (SELECT * FROM pgrst_source${limit}${offset}) AS pgrst_page`;
  return { sql, params: params.values };
}
