import { randomUUID } from 'node:crypto';
import type { DevstackContext } from '../context';
import type { SupabaseClaims } from '../jwt';

/**
 * May these claims read a private channel's topic? Hosted Realtime's check
 * (`lib/realtime/tenants/authorization.ex`, docs/protocols-2026.md §3.2), in one transaction that is always
 * rolled back: insert a probe message for the topic as admin, become the caller (`role`, the JWT claims,
 * `realtime.topic`, the socket's headers), and see whether the `realtime.messages` policies let the
 * caller select the probe. A policy error counts as a denial, as it does hosted.
 */
export async function canReadTopic(
  ctx: DevstackContext,
  claims: SupabaseClaims,
  subTopic: string,
  headers: Record<string, string>,
): Promise<boolean> {
  const client = await ctx.db.connect();
  const probe = randomUUID();
  try {
    await client.query('begin');
    await client.query(
      `insert into realtime.messages (id, topic, extension, private) values ($1, $2, 'broadcast', true)`,
      [probe, subTopic],
    );
    await client.query(
      `select set_config('role', $1, true), set_config('realtime.topic', $2, true),
              set_config('request.jwt.claims', $3, true), set_config('request.jwt.claim.sub', $4, true),
              set_config('request.jwt.claim.role', $1, true), set_config('request.headers', $5, true)`,
      [claims.role, subTopic, JSON.stringify(claims), claims.sub ?? '', JSON.stringify(headers)],
    );
    const visible = await client.query('select id from realtime.messages where id = $1', [probe]);
    return visible.rowCount === 1;
  } catch (error) {
    ctx.log(
      'realtime',
      `authorization of ${subTopic} failed: ${error instanceof Error ? error.message : String(error)}`,
    );
    return false;
  } finally {
    await client.query('rollback').catch(() => {});
    client.release();
  }
}
