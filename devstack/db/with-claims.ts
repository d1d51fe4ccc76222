import type { Pool, PoolClient } from 'pg';
import type { SupabaseClaims } from '../jwt';

export type ClaimsTransactionOptions = {
  readOnly?: boolean;
  /** Extra transaction-local settings, e.g. `request.method`, `request.path`. */
  settings?: Record<string, string>;
};

/**
 * Runs `fn` in one transaction as the caller, exactly as PostgREST does (docs/protocols.md §2.5):
 * `set_config('role', …)` and `set_config('request.jwt.claims', …)`, transaction-local, so RLS
 * policies and `auth.uid()` see the verified JWT. Commits when `fn` resolves, rolls back when it throws.
 */
export async function withClaims<T>(
  db: Pool,
  claims: SupabaseClaims,
  fn: (client: PoolClient) => Promise<T>,
  options: ClaimsTransactionOptions = {},
): Promise<T> {
  const client = await db.connect();
  try {
    await client.query(options.readOnly ? 'begin isolation level read committed read only' : 'begin');
    const settings: Record<string, string> = {
      search_path: 'public, extensions',
      role: claims.role,
      'request.jwt.claims': JSON.stringify(claims),
      ...options.settings,
    };
    const names = Object.keys(settings);
    const calls = names.map((_, i) => `set_config($${2 * i + 1}, $${2 * i + 2}, true)`).join(', ');
    await client.query(
      `select ${calls}`,
      names.flatMap((name) => [name, settings[name]]),
    );
    const result = await fn(client);
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
