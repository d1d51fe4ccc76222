import type { APIRequestContext } from '@playwright/test';
import { expect, test } from './fixtures';
import { offSiteTargets, sameSiteTargets } from '../tests/fixtures/open-redirect-corpus';
import { demoUser } from './support';

/**
 * The sign-in page and the sign-in action each decide where `next` leads, so each gets every target of
 * the corpus: the page as the `next` it puts in its form, the action as the `Location` of its 303 after
 * a successful sign-in (posted as a browser without JavaScript posts the form, with `next` changed).
 * Wherever a target leads, a browser resolving it from our origin must stay on our origin.
 */
test.use({ storageState: { cookies: [], origins: [] } });

/** A target a browser cannot resolve at all is no place to send anyone either. */
function staysOnSite(target: string, origin: string): boolean {
  try {
    return new URL(target, origin).origin === origin;
  } catch {
    return false;
  }
}

/** Runs `each` over `items`, `width` at a time: hundreds of requests without queueing them all at once. */
async function inBatches<T>(items: T[], width: number, each: (item: T) => Promise<void>) {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(each));
}

/** The hidden fields of the page's form, as React escapes attribute values (the five characters below). */
function hiddenInputs(html: string): Map<string, string> {
  const decode = (value: string) =>
    value
      .replace(/&quot;/g, '"')
      .replace(/&#x27;/g, "'")
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
  const inputs = new Map<string, string>();
  for (const [tag] of html.matchAll(/<input[^>]*type="hidden"[^>]*>/g)) {
    const name = /name="([^"]*)"/.exec(tag)?.[1];
    if (name) inputs.set(decode(name), decode(/value="([^"]*)"/.exec(tag)?.[1] ?? ''));
  }
  return inputs;
}

async function signInFormFields(request: APIRequestContext, next: string) {
  const page = await request.get(`/sign-in?next=${encodeURIComponent(next)}`);
  expect(page.status(), `sign-in page for next=${JSON.stringify(next)}`).toBe(200);
  return hiddenInputs(await page.text());
}

test('the sign-in page never puts an off-site target in its form', async ({ request, baseURL }) => {
  const origin = new URL(baseURL!).origin;
  const leaks: string[] = [];
  await inBatches(offSiteTargets, 8, async (next) => {
    const kept = (await signInFormFields(request, next)).get('next');
    if (kept === undefined || !kept.startsWith('/') || !staysOnSite(kept, origin))
      leaks.push(`${JSON.stringify(next)} → ${kept}`);
  });
  expect(leaks).toEqual([]);
  for (const [next, path] of sameSiteTargets) expect((await signInFormFields(request, next)).get('next')).toBe(path);
});

test('a successful sign-in never redirects off the site, whatever `next` the POST carries', async ({
  playwright,
  baseURL,
}) => {
  test.setTimeout(600_000);
  const origin = new URL(baseURL!).origin;
  // The form's own hidden fields (the action's id and state), from a page with a harmless `next`.
  const setup = await playwright.request.newContext({ baseURL });
  const form = await signInFormFields(setup, '/exports');
  await setup.dispose();
  form.delete('next');

  const signInWith = async (next: string) => {
    // A context of its own: no session cookie from the previous sign-in.
    const context = await playwright.request.newContext({ baseURL });
    try {
      const response = await context.post('/sign-in', {
        multipart: { ...Object.fromEntries(form), email: demoUser.email, password: demoUser.password, next },
        headers: { origin },
        maxRedirects: 0,
      });
      expect(response.status(), `sign-in with next=${JSON.stringify(next)}`).toBe(303);
      return response.headers().location!;
    } finally {
      await context.dispose();
    }
  };

  const leaks: string[] = [];
  await inBatches(offSiteTargets, 4, async (next) => {
    const location = await signInWith(next);
    if (!staysOnSite(location, origin)) leaks.push(`${JSON.stringify(next)} → ${location}`);
  });
  expect(leaks).toEqual([]);
  for (const [next, path] of sameSiteTargets) expect(await signInWith(next)).toBe(path);
});
