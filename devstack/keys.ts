import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { z } from 'zod';

/**
 * A JWT signing key's life, as in Supabase's dashboard and Management API (docs/protocols-2026.md §2.2):
 * `standby` is published but does not sign; `in_use` signs (exactly one); `previously_used` still
 * verifies, so nobody is signed out by a rotation; `revoked` verifies nothing.
 */
const signingKeyStatuses = ['standby', 'in_use', 'previously_used', 'revoked'] as const;
export type SigningKeyStatus = (typeof signingKeyStatuses)[number];

const privateEcJwk = z
  .object({ kty: z.literal('EC'), crv: z.literal('P-256'), x: z.string(), y: z.string(), d: z.string() })
  .passthrough();

const signingKeySchema = z.object({
  kid: z.string().min(1),
  algorithm: z.literal('ES256'),
  status: z.enum(signingKeyStatuses),
  privateJwk: privateEcJwk,
  createdAt: z.string(),
});
export type SigningKey = z.infer<typeof signingKeySchema>;

const keysSchema = z.object({
  /** `sb_publishable_…`: the browser's key; the gateway maps it to `anon`. */
  publishableKey: z.string().startsWith('sb_publishable_'),
  /** `sb_secret_…`: server only; the gateway maps it to `service_role`. */
  secretKey: z.string().startsWith('sb_secret_'),
  /** Legacy JWT secret (HS256) and the anon / service-role JWT keys signed with it. */
  jwtSecret: z.string().min(32),
  anonKey: z.string(),
  serviceRoleKey: z.string(),
  /** Asymmetric JWT signing keys (ES256), in the order they were created. */
  signingKeys: z.array(signingKeySchema),
});

/** Every key of the devstack project; the gateway and the services read them through `ctx.keys`. */
export type DevstackKeys = z.infer<typeof keysSchema>;

/** Legacy API keys are JWTs; ten years keeps them valid for any dev data dir (hosted: ~10 years too). */
const LEGACY_KEY_LIFETIME_SECONDS = 10 * 365 * 24 * 3600;

/**
 * `sb_<kind>_` + 16 random bytes in base64url (22 chars) + `_` + 8 chars, the shape of the CLI's and
 * hosted keys (docs/protocols-2026.md §1.1). What the last 8 chars encode is not public; here they are a
 * digest of the rest, and every consumer treats the key as opaque and compares it exactly.
 */
function apiKey(kind: 'publishable' | 'secret'): string {
  const body = `sb_${kind}_${randomBytes(16).toString('base64url')}`;
  const tail = createHash('sha256').update(body).digest('base64url').slice(0, 8);
  return `${body}_${tail}`;
}

async function legacyKey(jwtSecret: string, role: 'anon' | 'service_role'): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: 'supabase', role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(now)
    .setExpirationTime(now + LEGACY_KEY_LIFETIME_SECONDS)
    .sign(new TextEncoder().encode(jwtSecret));
}

/** A fresh ES256 key pair; `kid` is a UUID like hosted keys'. */
export async function newSigningKey(status: SigningKeyStatus): Promise<SigningKey> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = privateEcJwk.parse(await exportJWK(privateKey));
  return { kid: randomUUID(), algorithm: 'ES256', status, privateJwk: jwk, createdAt: new Date().toISOString() };
}

function keysFile(dataDir: string): string {
  return path.join(dataDir, 'keys.json');
}

export async function saveKeys(dataDir: string, keys: DevstackKeys): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  await writeFile(keysFile(dataDir), JSON.stringify(keys, null, 2), { mode: 0o600 });
}

/**
 * The project's keys: generated on the first start of a data dir and kept in `<dataDir>/keys.json`,
 * so sessions, signing-key rotations and `.env.local` stay valid across restarts. A file in an older
 * shape is replaced (a new project, as after `--reset`).
 */
export async function loadOrCreateKeys(dataDir: string): Promise<DevstackKeys> {
  try {
    return keysSchema.parse(JSON.parse(await readFile(keysFile(dataDir), 'utf8')));
  } catch {
    const jwtSecret = randomBytes(32).toString('hex');
    const keys: DevstackKeys = {
      publishableKey: apiKey('publishable'),
      secretKey: apiKey('secret'),
      jwtSecret,
      anonKey: await legacyKey(jwtSecret, 'anon'),
      serviceRoleKey: await legacyKey(jwtSecret, 'service_role'),
      signingKeys: [await newSigningKey('in_use')],
    };
    await saveKeys(dataDir, keys);
    return keys;
  }
}
