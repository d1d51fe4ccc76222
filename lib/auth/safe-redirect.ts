/**
 * Where to send a user after sign-in: `next` only when it stays on this site. It is resolved as a browser
 * would resolve it against our origin (backslashes, tabs, newlines and dot segments included), and the
 * resolved path is accepted only when the browser, resolving it again from our `Location` header, stays on
 * this origin too. A check of the string before resolution is not enough: `/.//evil.com` resolves to the
 * path `//evil.com`, which a browser reads as the host `evil.com`.
 */
const PLACEHOLDER_ORIGIN = 'https://baton.invalid';

export function safeRedirectPath(next: string | null | undefined): string {
  if (!next) return '/';
  const resolved = resolveOnOurOrigin(next);
  if (!resolved) return '/';
  const path = `${resolved.pathname}${resolved.search}${resolved.hash}`;
  // The redirect is read once more by the browser: it must land on the same URL, still on our origin.
  if (resolveOnOurOrigin(path)?.href !== resolved.href) return '/';
  return path;
}

function resolveOnOurOrigin(target: string): URL | null {
  let url: URL;
  try {
    url = new URL(target, PLACEHOLDER_ORIGIN);
  } catch {
    return null;
  }
  return url.origin === PLACEHOLDER_ORIGIN ? url : null;
}
