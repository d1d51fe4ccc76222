/**
 * A source's searches run under a Typesense *scoped search key*: a key derived from a search-only parent
 * key with the source's mandatory filter embedded and signed, which Typesense ANDs after whatever
 * filter the request sends (`(request) && (embedded)`, auth_manager.cpp). A tenant's scope then holds
 * even if a filter slips past Baton's own checks (export-filter.ts): the server, not our parser, keeps
 * one organisation out of another's records.
 *
 * The key is base64(digest + the parent's first 4 characters + the params' JSON), with digest =
 * base64(HMAC-SHA256(parent key, params JSON)): what the official client's
 * `keys().generateScopedSearchKey` makes (the app uses it), here with Web Crypto for the worker on Deno.
 * A unit test holds the two to the same bytes.
 */

/** A scoped key is good for this long: longer than any request or worker invocation (≤ 400 s). */
export const SCOPED_KEY_LIFETIME_SECONDS = 3600;

export type ScopedSearchParams = { filter_by?: string; expires_at: number };

/** What a source's key embeds: its mandatory filter (none: the whole collection), and when it expires. */
export function scopedSearchParams(mandatoryFilter: string | null, nowMs: number): ScopedSearchParams {
  const expiresAt = Math.floor(nowMs / 1000) + SCOPED_KEY_LIFETIME_SECONDS;
  const filter = mandatoryFilter?.trim();
  return filter ? { filter_by: filter, expires_at: expiresAt } : { expires_at: expiresAt };
}

function base64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** `generateScopedSearchKey(parentKey, params)` of the `typesense` client, with Web Crypto. */
export async function generateScopedSearchKey(parentKey: string, params: ScopedSearchParams): Promise<string> {
  const encoder = new TextEncoder();
  const paramsJson = JSON.stringify(params);
  const hmacKey = await crypto.subtle.importKey(
    'raw',
    encoder.encode(parentKey),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const digest = base64(new Uint8Array(await crypto.subtle.sign('HMAC', hmacKey, encoder.encode(paramsJson))));
  return base64(encoder.encode(`${digest}${parentKey.slice(0, 4)}${paramsJson}`));
}
