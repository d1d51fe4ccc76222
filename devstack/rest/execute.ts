import type { DevstackContext } from '../context';
import { withClaims } from '../db/with-claims';
import type { SupabaseClaims } from '../jwt';
import { RestError, fromPgError, isPgError } from './errors';
import type { SchemaCache, SchemaSnapshot } from './schema-cache';
import type { BuiltQuery, ResultRow } from './sql';

/**
 * Runs one request as one transaction under the caller's claims (docs/protocols.md §2.5), and keeps the
 * schema cache honest: when a name is missing from the cache, or Postgres rejects a name the cache
 * believed in, the catalog is re-read and the request retried once if the catalog changed.
 */

export type Reply = {
  status: number;
  headers: Record<string, string>;
  /** JSON text, or null for an empty body. */
  body: string | null;
};

export type Plan = {
  query: BuiltQuery;
  readOnly: boolean;
  /**
   * Turns the result row into the reply, inside the transaction: throwing a RestError here rolls the
   * write back (PGRST116 for a single object, PGRST124 for max-affected).
   */
  finish: (row: ResultRow) => Reply;
};

/** Cache misses the builders report, and SQLSTATEs meaning the cache was stale for this request. */
const MISS_CODES = new Set(['PGRST202', 'PGRST204', 'PGRST205', '42703']);
// 42883/42804/42846: a value cast to a column type that has since changed (table dropped and re-created).
const STALE_SQLSTATES = new Set(['42703', '42P01', '42883', '42804', '42P10', '42846']);

export type Execution = {
  ctx: DevstackContext;
  cache: SchemaCache;
  claims: SupabaseClaims;
  /** Transaction-local settings besides role and claims (`request.method`, `request.path`, …). */
  settings: Record<string, string>;
  plan: (schema: SchemaSnapshot) => Plan;
};

export async function execute({ ctx, cache, claims, settings, plan }: Execution): Promise<Reply> {
  const authed = claims.role !== 'anon';
  for (let attempt = 0; ; attempt++) {
    const schema = await cache.get();
    const retry = async () => attempt === 0 && (await cache.reload()).fingerprint !== schema.fingerprint;
    let built: Plan;
    try {
      built = plan(schema);
    } catch (error) {
      if (error instanceof RestError && MISS_CODES.has(error.body.code) && (await retry())) continue;
      throw error;
    }
    try {
      return await withClaims(
        ctx.restDb,
        claims,
        async (client) => {
          const result = await client.query<ResultRow>(built.query.sql, built.query.params);
          const row = result.rows[0];
          if (!row) throw new Error('REST statement returned no result row');
          return built.finish(row);
        },
        { readOnly: built.readOnly, settings: { ...schema.roleSettings.get(claims.role), ...settings } },
      );
    } catch (error) {
      if (error instanceof RestError) throw error;
      if (isPgError(error)) {
        if (STALE_SQLSTATES.has(error.code) && (await retry())) continue;
        throw fromPgError(error, authed);
      }
      const code = (error as { code?: unknown }).code;
      if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === '57P01') {
        throw new RestError(503, 'PGRST000', 'Database connection error. Retrying the connection.');
      }
      // node-postgres's pool timing out on a checkout: every connection stayed busy for 10 s.
      if (error instanceof Error && /timeout exceeded when trying to connect/.test(error.message)) {
        throw new RestError(504, 'PGRST003', 'Timed out acquiring connection from connection pool.');
      }
      throw error;
    }
  }
}
