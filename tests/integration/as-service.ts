import type pg from 'pg';

/**
 * Runs one statement as PostgREST runs a request made with the secret key: in its own transaction, as
 * `service_role` with its JWT claims, and — when an actor is given — with that user's id in the
 * `x-baton-actor` request header, as the API routes send it.
 */
export function serviceRunner(db: pg.Pool) {
  return async function asService<T extends pg.QueryResultRow>(
    sql: string,
    params: unknown[] = [],
    actor: string | null = null,
  ): Promise<T[]> {
    const client = await db.connect();
    try {
      await client.query('begin');
      await client.query(
        `select set_config('role', 'service_role', true), set_config('request.jwt.claims', '{"role":"service_role"}', true),
                set_config('request.headers', $1, true)`,
        [JSON.stringify(actor ? { 'x-baton-actor': actor } : {})],
      );
      const { rows } = await client.query<T>(sql, params);
      await client.query('commit');
      return rows;
    } catch (error) {
      await client.query('rollback');
      throw error;
    } finally {
      client.release();
    }
  };
}
