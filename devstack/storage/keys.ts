import { storageErrors } from './errors';

/**
 * Object keys, validated like supabase/storage (`isValidKey`): word
 * characters (here any Unicode letter or digit) and `/ ! - . * ' ( ) space & $ @ = ; : + , ?`. That already
 * excludes `%`, `\`, NUL and control characters; on top, `.`/`..`/empty segments and leading `/` are refused,
 * so a key is always a clean relative path (it never touches the filesystem anyway: files are named by UUID).
 */
const KEY_CHARS = /^[\p{L}\p{N}_/!\-.*'() &$@=;:+,?]+$/u;
const MAX_KEY_BYTES = 1024;

function validateKey(key: string): string {
  const segments = key.split('/');
  const ok =
    key.length > 0 &&
    Buffer.byteLength(key) <= MAX_KEY_BYTES &&
    KEY_CHARS.test(key) &&
    segments.every((s) => s !== '' && s !== '.' && s !== '..');
  if (!ok) throw storageErrors.invalidKey(key);
  return key;
}

/** Percent-decodes a raw path piece; a malformed escape is an invalid key, not a server error. */
export function decodePathPart(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw storageErrors.invalidKey(raw);
  }
}

/** `<bucket>/<key…>` from the raw (still percent-encoded) path after a route prefix. */
export function splitBucketAndKey(raw: string): { bucket: string; key: string } {
  const slash = raw.indexOf('/');
  if (slash <= 0) throw storageErrors.invalidKey(decodePathPart(raw));
  const bucket = decodePathPart(raw.slice(0, slash));
  // storage-js strips leading slashes from keys; a decoded key is validated as a whole, so `..%2F` is caught too.
  const key = decodePathPart(raw.slice(slash + 1));
  return { bucket, key: validateKey(key) };
}
