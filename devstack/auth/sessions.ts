import { randomBytes } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import type { JwtService } from '../jwt';
import { authErrors } from './errors';
import { userJson, type UserRow } from './users';

export type SessionOptions = {
  jwt: JwtService;
  /** `${apiUrl}/auth/v1`, the `iss` claim hosted Supabase puts in access tokens. */
  issuer: string;
  accessTokenTtlSeconds: number;
};

type Queryable = Pick<Pool | PoolClient, 'query'>;

/** Opaque refresh token; GoTrue's are short random strings too (only the database gives them meaning). */
function newRefreshToken(): string {
  return randomBytes(16).toString('base64url');
}

/** Inserts a refresh token. `clock_timestamp()` (not the transaction's `now()`) orders a session's tokens strictly. */
async function insertRefreshToken(db: Queryable, sessionId: string, userId: string): Promise<string> {
  const token = newRefreshToken();
  await db.query(
    'insert into auth.refresh_tokens (token, session_id, user_id, created_at) values ($1, $2, $3, clock_timestamp())',
    [token, sessionId, userId],
  );
  return token;
}

/** The session JSON GoTrue answers `/token` with (`tokens.AccessTokenResponse`). */
async function sessionJson(
  opts: SessionOptions,
  user: UserRow,
  session: { id: string; created_at: Date },
  refreshToken: string,
): Promise<Record<string, unknown>> {
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    aud: user.aud,
    iss: opts.issuer,
    sub: user.id,
    email: user.email ?? '',
    phone: '',
    app_metadata: user.raw_app_meta_data,
    user_metadata: user.raw_user_meta_data,
    role: user.role,
    aal: 'aal1',
    amr: [{ method: 'password', timestamp: Math.floor(session.created_at.getTime() / 1000) }],
    session_id: session.id,
    is_anonymous: false,
  };
  const accessToken = await opts.jwt.sign(claims, opts.accessTokenTtlSeconds);
  return {
    access_token: accessToken,
    token_type: 'bearer',
    expires_in: opts.accessTokenTtlSeconds,
    expires_at: now + opts.accessTokenTtlSeconds,
    refresh_token: refreshToken,
    user: userJson(user),
  };
}

/** Password sign-in: a new session with its first refresh token. */
export async function startSession(db: Pool, opts: SessionOptions, user: UserRow): Promise<Record<string, unknown>> {
  const client = await db.connect();
  try {
    await client.query('begin');
    const { rows } = await client.query<{ id: string; created_at: Date }>(
      'insert into auth.sessions (user_id) values ($1) returning id, created_at',
      [user.id],
    );
    const session = rows[0]!;
    const { rows: updated } = await client.query<{ last_sign_in_at: Date }>(
      'update auth.users set last_sign_in_at = now() where id = $1 returning last_sign_in_at',
      [user.id],
    );
    const refreshToken = await insertRefreshToken(client, session.id, user.id);
    await client.query('commit');
    return sessionJson(
      opts,
      { ...user, last_sign_in_at: updated[0]?.last_sign_in_at ?? user.last_sign_in_at },
      session,
      refreshToken,
    );
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

type TokenRow = { token: string; session_id: string; user_id: string; revoked: boolean };

/**
 * The refresh_token grant with rotation, following GoTrue (`tokens/service.go RefreshTokenGrant`):
 * the token is swapped for a new one in the same session. A revoked token is still accepted when it is
 * the direct parent of the session's active token (a client that refreshed but failed to store the
 * answer, or two tabs racing), and then answers with that active token instead of minting another.
 * Any older revoked token is reuse: the whole session is revoked and `refresh_token_already_used` returned.
 * Not modelled: GoTrue's 10 s reuse interval for older tokens (it needs a parent column; see report).
 */
export async function refreshSession(
  db: Pool,
  opts: SessionOptions,
  presented: string,
): Promise<Record<string, unknown>> {
  const client = await db.connect();
  try {
    await client.query('begin');
    const { rows: found } = await client.query<TokenRow>(
      'select token, session_id, user_id, revoked from auth.refresh_tokens where token = $1',
      [presented],
    );
    const token = found[0];
    if (!token) throw authErrors.refreshTokenNotFound();
    // Serialises refreshes of one session, so two racing refreshes cannot both rotate the same token.
    const { rows: sessions } = await client.query<{ id: string; created_at: Date }>(
      'select id, created_at from auth.sessions where id = $1 for update',
      [token.session_id],
    );
    const session = sessions[0];
    if (!session) throw authErrors.refreshTokenNotFound();
    const { rows: users } = await client.query<UserRow>(
      `select id, aud, role, email, email_confirmed_at, raw_app_meta_data, raw_user_meta_data, last_sign_in_at,
              created_at, updated_at from auth.users where id = $1`,
      [token.user_id],
    );
    const user = users[0];
    if (!user) throw authErrors.refreshTokenNotFound();

    let issued: string;
    // Re-read under the session lock: a concurrent refresh may have revoked it meanwhile.
    const { rows: chain } = await client.query<TokenRow>(
      'select token, session_id, user_id, revoked from auth.refresh_tokens where session_id = $1 order by created_at desc limit 2',
      [session.id],
    );
    const [active, parent] = chain;
    if (active && !active.revoked && active.token === presented) {
      await client.query('update auth.refresh_tokens set revoked = true where token = $1', [presented]);
      issued = await insertRefreshToken(client, session.id, user.id);
    } else if (active && !active.revoked && parent?.token === presented) {
      issued = active.token;
    } else {
      await client.query('update auth.refresh_tokens set revoked = true where session_id = $1', [session.id]);
      await client.query('commit');
      throw authErrors.refreshTokenAlreadyUsed();
    }
    await client.query('commit');
    return sessionJson(opts, user, session, issued);
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

export type LogoutScope = 'global' | 'local' | 'others';

/** GoTrue's logout deletes sessions (their refresh tokens cascade), per `scope`. */
export async function endSessions(
  db: Pool,
  userId: string,
  sessionId: string | null,
  scope: LogoutScope,
): Promise<void> {
  if (scope === 'global' || sessionId === null) {
    await db.query('delete from auth.sessions where user_id = $1', [userId]);
  } else if (scope === 'local') {
    await db.query('delete from auth.sessions where id = $1', [sessionId]);
  } else {
    await db.query('delete from auth.sessions where user_id = $1 and id <> $2', [userId, sessionId]);
  }
}

export async function sessionExists(db: Pool, sessionId: string): Promise<boolean> {
  const { rowCount } = await db.query('select 1 from auth.sessions where id = $1', [sessionId]);
  return (rowCount ?? 0) > 0;
}
