import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { TypesenseError } from './errors';

/**
 * Typesense's API keys (`src/auth_manager.cpp`): the bootstrap key (`--api-key`) may do anything; every
 * other key allows some actions (`documents:search`, `collections:*`, `*`) on some collections (a name, a
 * regular expression, or `*`) until its `expires_at`. The devstack starts with the bootstrap key and one
 * search-only key (config), and `POST /keys` adds more, held in memory until the devstack stops.
 */

export type ApiKey = {
  id: number;
  value: string;
  description: string;
  actions: string[];
  collections: string[];
  /** Unix seconds. */
  expires_at: number;
};

/** `api_key_t::FAR_FUTURE_TIMESTAMP`: a key without `expires_at`. */
export const FAR_FUTURE_TIMESTAMP = 64723363199;
/** `api_key_t::PREFIX_LEN`: a scoped key names its parent by this many leading characters. */
export const KEY_PREFIX_LENGTH = 4;
export const DOCUMENTS_SEARCH_ACTION = 'documents:search';

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** `AuthManager::regexp_match`: the whole name must match; a pattern that does not compile matches nothing. */
function collectionMatches(pattern: string, collection: string): boolean {
  if (pattern === '*' || pattern === collection || collection === '') return true;
  try {
    return new RegExp(`^(?:${pattern})$`).test(collection);
  } catch {
    return false;
  }
}

/**
 * `AuthManager::auth_against_key`: not expired, the action allowed (exactly, by `*`, or by `resource:*`) —
 * or, for the parent of a scoped key, the key allows `documents:search` and nothing else — and the
 * collection allowed.
 */
export function keyAllows(
  key: ApiKey,
  action: string,
  collection: string,
  options: { asScopedParent: boolean; now: number },
): boolean {
  if (options.now > key.expires_at) return false;
  const actionAllowed = options.asScopedParent
    ? key.actions.length === 1 && key.actions[0] === DOCUMENTS_SEARCH_ACTION
    : key.actions.some(
        (allowed) =>
          allowed === '*' ||
          allowed === action ||
          (allowed.endsWith(':*') && action.split(':')[0] === allowed.slice(0, -2)),
      );
  return actionAllowed && key.collections.some((pattern) => collectionMatches(pattern, collection));
}

/** `api_key_t::validate`, with Typesense's messages. */
const keyInputSchema = z.object({
  description: z.string({ error: 'Could not find a `description` key.' }),
  value: z.string({ error: 'Key value must be a string.' }).min(1).optional(),
  actions: z.array(z.string(), { error: 'Wrong format for `actions`. It should be an array of string.' }).min(1, {
    error: 'Wrong format for `actions`. It should be an array of string.',
  }),
  collections: z
    .array(z.string(), { error: 'Wrong format for `collections`. It should be an array of string.' })
    .min(1, { error: 'Wrong format for `collections`. It should be an array of string.' }),
  expires_at: z
    .number({ error: 'Wrong format for `expires_at`. It should be an unsigned integer.' })
    .int({ error: 'Wrong format for `expires_at`. It should be an unsigned integer.' })
    .min(0, { error: 'Wrong format for `expires_at`. It should be an unsigned integer.' })
    .optional(),
});

/** Random alphanumeric key value, like Typesense's generated ones. */
function generateKeyValue(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(32), (b) => alphabet[b % alphabet.length]).join('');
}

export class ApiKeyStore {
  private readonly keys = new Map<string, ApiKey>();
  private nextId = 0;

  constructor(
    /** `--api-key`: allowed everything, and never the parent of a scoped key (it is not in the key store). */
    readonly bootstrapKey: string,
  ) {}

  /** `POST /keys` (`AuthManager::create_key`): 201 with the whole key, the only time its value is shown. */
  create(input: unknown): ApiKey {
    const parsed = keyInputSchema.safeParse(input);
    if (!parsed.success) throw new TypesenseError(400, parsed.error.issues[0]?.message ?? 'Bad key.');
    const value = parsed.data.value ?? generateKeyValue();
    if (this.keys.has(value) || value === this.bootstrapKey) {
      throw new TypesenseError(409, 'API key generation conflict.');
    }
    const key: ApiKey = {
      id: this.nextId++,
      value,
      description: parsed.data.description,
      actions: parsed.data.actions,
      collections: parsed.data.collections,
      expires_at: parsed.data.expires_at ?? FAR_FUTURE_TIMESTAMP,
    };
    this.keys.set(value, key);
    return key;
  }

  find(value: string): ApiKey | undefined {
    return this.keys.get(value);
  }

  /** Every stored key whose first bytes are `prefix` (`api_keys.equal_prefix_range`): several may share them. */
  withPrefix(prefix: Uint8Array): ApiKey[] {
    return [...this.keys.values()].filter((key) =>
      Buffer.from(key.value).subarray(0, KEY_PREFIX_LENGTH).equals(prefix),
    );
  }
}
