import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIResponse, Response } from '@playwright/test';
import { expect, test } from './fixtures';
import { getManifest, startExport } from './support';

/** The headers every response of the proxy carries, pages and API alike (the tests run a production build). */
function expectCommonHeaders(response: Response | APIResponse) {
  const headers = response.headers();
  expect(headers['x-frame-options']).toBe('DENY');
  expect(headers['referrer-policy']).toBe('strict-origin-when-cross-origin');
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['permissions-policy']).toContain('camera=()');
  expect(headers['strict-transport-security']).toBe('max-age=63072000; includeSubDomains');
  expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
}

test('a page runs only the scripts carrying its per-request nonce', async ({ page, cspViolations }) => {
  const response = (await page.goto('/exports'))!;
  await expect(page.getByRole('heading', { name: 'Exports', level: 1 })).toBeVisible();
  expectCommonHeaders(response);
  const policy = response.headers()['content-security-policy']!;
  const nonce = /'nonce-([^']+)'/.exec(policy)?.[1];
  expect(nonce, policy).toBeDefined();
  expect(policy).not.toMatch(/script-src[^;]*'unsafe-inline'/);
  expect(policy).toMatch(/connect-src 'self' http:\/\/127\.0\.0\.1:\d+ ws:\/\/127\.0\.0\.1:\d+;/);

  // Next.js put this request's nonce on each script it rendered…
  const scriptTags = (await response.text()).match(/<script\b[^>]*>/g) ?? [];
  expect(scriptTags.length).toBeGreaterThan(0);
  expect(scriptTags.filter((tag) => !tag.includes(` nonce="${nonce}"`))).toEqual([]);
  // …a new one for the next request…
  const again = (await page.reload())!;
  expect(again.headers()['content-security-policy']).not.toContain(`'nonce-${nonce}'`);

  // …and markup injected into the page cannot run script: its inline handler is refused, and reported.
  // ('strict-dynamic' does let the app's own scripts create scripts; an injection that gets that far
  // already runs script.)
  await page.evaluate(() => {
    const injected = document.createElement('div');
    injected.innerHTML = '<button id="injected" onclick="window.__injected = true">Claim prize</button>';
    document.body.append(injected);
  });
  await page.locator('#injected').click();
  expect(await page.evaluate(() => (window as unknown as { __injected?: boolean }).__injected)).toBeUndefined();
  await expect.poll(() => cspViolations.take().map((v) => v.directive)).toEqual(['script-src-attr']);
});

test('API routes and the streamed download carry the API policy and keep their own headers', async ({ page }) => {
  test.setTimeout(120_000);
  const api = await page.request.get('/api/exports?limit=1');
  expect(api.status()).toBe(200);
  expectCommonHeaders(api);
  expect(api.headers()['content-security-policy']).toMatch(/^default-src 'none'/);

  // The smallest demo collection (2,000 records): the download, not the export, is under test.
  const job = await startExport(page, 'landing_pages');
  await expect.poll(async () => (await getManifest(page, job.id)).job.status, { timeout: 90_000 }).toBe('completed');
  const { job: done } = await getManifest(page, job.id);
  const download = await page.request.get(`/api/exports/${job.id}/download`);
  expect(download.status()).toBe(200);
  expectCommonHeaders(download);
  expect(download.headers()['content-security-policy']).toMatch(/^default-src 'none'/);
  // The download's own headers survive beside them.
  expect(download.headers()['content-length']).toBe(String(done.bytes_written));
  expect(download.headers()['content-disposition']).toMatch(/^attachment;/);
  expect((await download.body()).byteLength).toBe(done.bytes_written);
});

test('another origin of the same site cannot frame the signed-in dashboard', async ({ page, baseURL }) => {
  // A page on another port of 127.0.0.1: same site as the app, so the browser sends the session cookie
  // with the frame's request, and without the headers the frame would show the signed-in dashboard.
  const attacker = createServer((_request, response) => {
    response.setHeader('content-type', 'text/html');
    response.end(`<!doctype html><title>Win a prize</title><iframe title="prize" src="${baseURL}/exports"></iframe>`);
  });
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = attacker.address() as AddressInfo;
    const framed = page.waitForResponse((response) => response.url() === `${baseURL}/exports`);
    await page.goto(`http://127.0.0.1:${port}/`);
    const response = await framed;
    expect(response.status(), 'the app answered the framed request, signed in').toBe(200);

    // Chromium refuses to show it: the frame holds its error page, not the dashboard.
    const frame = page.frames().find((f) => f !== page.mainFrame())!;
    await expect.poll(() => frame.url(), { timeout: 5_000 }).toBe('chrome-error://chromewebdata/');
    await expect(page.frameLocator('iframe').getByRole('heading', { name: 'Exports' })).toHaveCount(0);
    expect(response.headers()['x-frame-options']).toBe('DENY');
  } finally {
    await new Promise((resolve) => attacker.close(resolve));
  }
});
