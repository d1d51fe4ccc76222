import { createHmac, timingSafeEqual } from 'node:crypto';
import { DOCUMENTS_SEARCH_ACTION, KEY_PREFIX_LENGTH, keyAllows, type ApiKeyStore } from './api-keys';

/**
 * Scoped search keys, as Typesense checks them (`AuthManager::authenticate_parse_params`): a key that is
 * not in the key store is read as base64 of `<digest><parent key prefix><params JSON>`, where the digest
 * is base64(HMAC-SHA256(parent key, params JSON)). It is good for searches only, when some stored key
 * with that prefix allows `documents:search` and nothing else on the collection, signs the params, and
 * neither it nor the params' `expires_at` has passed. Its params then override the request's
 * (`AuthManager::add_item_to_params`), except `filter_by`, which is ANDed with the request's.
 */

/** `HMAC_BASE64_LEN`: base64 of a 32-byte digest. */
const DIGEST_LENGTH = 44;

export type EmbeddedParams = Record<string, unknown>;

function isObject(value: unknown): value is EmbeddedParams {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The embedded params of a valid scoped key for `action` on `collection`; undefined refuses it (401). */
export function verifyScopedKey(
  keys: ApiKeyStore,
  scopedKey: string,
  action: string,
  collection: string,
  now: number,
): EmbeddedParams | undefined {
  if (action !== DOCUMENTS_SEARCH_ACTION) return undefined;
  const payload = Buffer.from(scopedKey, 'base64');
  if (payload.length < DIGEST_LENGTH + KEY_PREFIX_LENGTH) return undefined;
  const digest = payload.subarray(0, DIGEST_LENGTH);
  const prefix = payload.subarray(DIGEST_LENGTH, DIGEST_LENGTH + KEY_PREFIX_LENGTH);
  const params = payload.subarray(DIGEST_LENGTH + KEY_PREFIX_LENGTH);
  // Several stored keys may share a prefix: the one whose digest matches is the parent.
  for (const parent of keys.withPrefix(prefix)) {
    if (!keyAllows(parent, action, collection, { asScopedParent: true, now })) continue;
    const expected = Buffer.from(createHmac('sha256', parent.value).update(params).digest('base64'));
    // Both are 44 bytes; compared in constant time so the digest cannot be guessed byte by byte.
    if (!timingSafeEqual(expected, digest)) continue;
    let embedded: unknown;
    try {
      embedded = JSON.parse(params.toString('utf8'));
    } catch {
      continue;
    }
    if (!isObject(embedded)) continue;
    if ('expires_at' in embedded) {
      const expiresAt = embedded.expires_at;
      if (typeof expiresAt !== 'number' || !Number.isInteger(expiresAt) || expiresAt < 0) continue;
      // The parent's own expiry holds too, when it is the earlier.
      if (now > Math.min(parent.expires_at, expiresAt)) continue;
    }
    return embedded;
  }
  return undefined;
}

/** A parameter's value as a query string holds it; objects and arrays are not taken (add_item_to_params). */
function paramText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(6);
  return undefined;
}

/**
 * The search parameters a scoped key's request runs with: each embedded one wins over the request's,
 * except `filter_by`, which becomes `(request) && (embedded)` — so no request filter can widen the key's.
 */
export function applyEmbeddedParams(query: Record<string, string>, embedded: EmbeddedParams): Record<string, string> {
  const merged = { ...query };
  for (const [name, value] of Object.entries(embedded)) {
    if (name === 'expires_at') continue;
    const text = paramText(value);
    if (text === undefined) continue;
    const requested = merged[name];
    if (name !== 'filter_by' || requested === undefined) merged[name] = text;
    else if (requested !== '' && text !== '') merged[name] = `(${requested}) && (${text})`;
    else if (text !== '') merged[name] = `(${text})`;
    else if (requested !== '') merged[name] = `(${requested})`;
  }
  return merged;
}
