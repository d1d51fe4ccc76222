/**
 * Where to send a user after sign-in: `next` only when it stays on this site. It is resolved as a browser
 * would resolve it against our origin, and accepted only when the origin is unchanged — a prefix check
 * (`/` but not `//`) lets `/\evil.com` through, which browsers read as `//evil.com`.
 */
const PLACEHOLDER_ORIGIN = 'https://baton.invalid';

export function safeRedirectPath(next: string | null | undefined): string {
  if (!next) return '/';
  let url: URL;
  try {
    url = new URL(next, PLACEHOLDER_ORIGIN);
  } catch {
    return '/';
  }
  if (url.origin !== PLACEHOLDER_ORIGIN) return '/';
  return `${url.pathname}${url.search}${url.hash}`;
}
