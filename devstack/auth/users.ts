import type { Pool, PoolClient } from 'pg';
import { authErrors } from './errors';

/** GoTrue's default minimum password length (`GOTRUE_PASSWORD_MIN_LENGTH`). */
const PASSWORD_MIN_LENGTH = 6;

type Queryable = Pick<Pool | PoolClient, 'query'>;

export type UserRow = {
  id: string;
  aud: string;
  role: string;
  email: string | null;
  email_confirmed_at: Date | null;
  raw_app_meta_data: Record<string, unknown>;
  raw_user_meta_data: Record<string, unknown>;
  last_sign_in_at: Date | null;
  created_at: Date;
  updated_at: Date;
};

const USER_COLUMNS =
  'id, aud, role, email, email_confirmed_at, raw_app_meta_data, raw_user_meta_data, last_sign_in_at, created_at, updated_at';

function iso(value: Date | null): string | null {
  return value ? value.toISOString() : null;
}

/**
 * The user object as GoTrue serialises `models.User`: what `getUser()`, sessions and admin calls return.
 * There is no identities table here, so the email identity every password user has is synthesised.
 */
export function userJson(user: UserRow): Record<string, unknown> {
  const email = user.email ?? '';
  return {
    id: user.id,
    aud: user.aud,
    role: user.role,
    email,
    email_confirmed_at: iso(user.email_confirmed_at),
    phone: '',
    confirmed_at: iso(user.email_confirmed_at),
    last_sign_in_at: iso(user.last_sign_in_at),
    app_metadata: user.raw_app_meta_data,
    user_metadata: user.raw_user_meta_data,
    identities: [
      {
        identity_id: user.id,
        id: user.id,
        user_id: user.id,
        identity_data: { email, email_verified: user.email_confirmed_at !== null, phone_verified: false, sub: user.id },
        provider: 'email',
        last_sign_in_at: iso(user.last_sign_in_at),
        created_at: user.created_at.toISOString(),
        updated_at: user.updated_at.toISOString(),
        email,
      },
    ],
    created_at: user.created_at.toISOString(),
    updated_at: user.updated_at.toISOString(),
    is_anonymous: false,
  };
}

export type CreateUserInput = {
  email: string;
  password: string;
  userMetadata?: Record<string, unknown>;
  appMetadata?: Record<string, unknown>;
  /** Seeds confirm at once; admin calls follow `email_confirm`. */
  emailConfirmed?: boolean;
};

/**
 * Creates a confirmed password user, hashing with pgcrypto's bcrypt like GoTrue does, so the row is
 * indistinguishable from one GoTrue wrote. For seed scripts; throws GoTrue's `email_exists` on a duplicate.
 */
export async function createUser(db: Queryable, input: CreateUserInput): Promise<UserRow> {
  const email = input.email.trim().toLowerCase();
  if (input.password.length < PASSWORD_MIN_LENGTH) throw authErrors.weakPassword(PASSWORD_MIN_LENGTH);
  // The provider keys always win over caller-supplied app metadata, as in GoTrue.
  const appMetadata = { ...(input.appMetadata ?? {}), provider: 'email', providers: ['email'] };
  const { rows } = await db.query<UserRow>(
    `insert into auth.users (email, encrypted_password, email_confirmed_at, raw_app_meta_data, raw_user_meta_data)
     values ($1, extensions.crypt($2, extensions.gen_salt('bf')), case when $3 then now() end, $4, $5)
     on conflict (email) do nothing
     returning ${USER_COLUMNS}`,
    [
      email,
      input.password,
      input.emailConfirmed ?? true,
      JSON.stringify(appMetadata),
      JSON.stringify(input.userMetadata ?? {}),
    ],
  );
  const user = rows[0];
  if (!user) throw authErrors.emailExists();
  return user;
}

export async function findUserById(db: Queryable, id: string): Promise<UserRow | null> {
  const { rows } = await db.query<UserRow>(`select ${USER_COLUMNS} from auth.users where id = $1`, [id]);
  return rows[0] ?? null;
}

/** The user whose password matches, or null; one query so unknown email and wrong password look the same. */
export async function verifyPassword(db: Queryable, email: string, password: string): Promise<UserRow | null> {
  const { rows } = await db.query<UserRow>(
    `select ${USER_COLUMNS} from auth.users
     where email = $1 and encrypted_password = extensions.crypt($2, encrypted_password)`,
    [email.trim().toLowerCase(), password],
  );
  return rows[0] ?? null;
}
