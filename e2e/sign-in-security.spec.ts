import type { Request } from '@playwright/test';
import { expect, test } from './fixtures';
import { AUTH_FILE, demoUser } from './support';

// These tests sign in themselves.
test.use({ storageState: { cookies: [], origins: [] } });

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('the sign-in form POSTs, signs in, and never puts the password in a URL', async ({ page }) => {
    const requests: Request[] = [];
    page.on('request', (request) => requests.push(request));
    await page.goto('/sign-in?next=%2Fexports');
    await page.getByLabel('Email').fill(demoUser.email);
    await page.getByLabel('Password').fill(demoUser.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Without JavaScript the list itself never replaces its loading skeleton (streamed pages swap content in
    // with a script), so "signed in" is proved by where the POST led and by the session it set.
    await page.waitForURL((url) => url.pathname === '/exports', { timeout: 60_000 });
    // Without scripts the list never loads: the page says so instead of "Loading…" alone. (Playwright's
    // text engine skips <noscript>, so the notice is found by its test id.)
    await expect(page.getByTestId('needs-javascript')).toContainText('The Baton dashboard needs JavaScript');
    const list = await page.request.get('/api/exports?limit=1');
    expect(list.status(), 'the session cookie set by the no-JS sign-in authenticates the API').toBe(200);

    const submit = requests.find((r) => r.url().includes('/sign-in') && r.method() === 'POST');
    expect(submit, 'the form was submitted as a POST').toBeDefined();
    for (const request of requests) {
      expect(request.url(), 'no URL carries the password').not.toContain(encodeURIComponent(demoUser.password));
      expect(request.url()).not.toContain('password=');
    }
  });
});

test('sign-in never redirects off the site, whatever `next` says', async ({ page }) => {
  await page.goto(`/sign-in?next=${encodeURIComponent('/\\evil.example/steal')}`);
  await page.getByLabel('Email').fill(demoUser.email);
  await page.getByLabel('Password').fill(demoUser.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Exports', level: 1 })).toBeVisible({ timeout: 60_000 });
  expect(new URL(page.url()).host).toBe(new URL(test.info().project.use.baseURL!).host);
});

test('state-changing API routes refuse cross-site requests', async ({ newContext }) => {
  const context = await newContext({ storageState: AUTH_FILE });
  const { request } = context;
  const sources = (await (await request.get('/api/sources')).json()) as Array<{ id: string }>;
  const body = JSON.stringify({ sourceId: sources[0]!.id, format: 'csv' });
  const countExports = async () => ((await (await request.get('/api/exports?limit=200')).json()) as unknown[]).length;
  const before = await countExports();

  for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
    const response = await request.post('/api/exports', { headers: { 'content-type': contentType }, data: body });
    expect(response.status(), contentType).toBe(415);
  }
  const crossSite = await request.post('/api/exports', {
    headers: { 'content-type': 'application/json', origin: 'https://evil.example' },
    data: body,
  });
  expect(crossSite.status()).toBe(403);
  expect(await countExports(), 'the refused requests created no export').toBe(before);
  await context.close();
});
