import { expect, test } from './fixtures';
import { AUTH_FILE, expectAccessible, partnerUser, signIn, snap, startExport } from './support';

// This test signs in as the other organisation itself.
test.use({ storageState: { cookies: [], origins: [] } });

test('another organisation never sees the first one’s exports: list, live updates, page, API, download', async ({
  newContext,
  page,
}, testInfo) => {
  test.setTimeout(120_000);
  const demo = await newContext({ storageState: AUTH_FILE });
  const demoPage = await demo.newPage();
  const job = await startExport(demoPage);

  await signIn(page, partnerUser);
  // The partner's live list stays open while the demo job runs: Realtime must not leak it either.
  await expect(page.getByText('Live', { exact: true })).toBeVisible();
  await demoPage.goto(`/exports/${job.id}`);
  await expect(demoPage.getByRole('link', { name: /^Download CSV/ })).toBeVisible({ timeout: 90_000 });
  await expect(page.getByRole('link', { name: /^blog_posts export/ })).toHaveCount(0);
  await snap(page, testInfo, '10-partner-list');

  const otherOrganisations = await page.goto(`/exports/${job.id}`);
  expect(otherOrganisations?.status(), "another organisation's export page").toBe(404);
  await expect(page.getByRole('heading', { name: 'Export not found' })).toBeVisible();
  await expectAccessible(page, testInfo, 'export-not-found');
  await snap(page, testInfo, '11-partner-not-found');

  for (const path of [`/api/exports/${job.id}`, `/api/exports/${job.id}/shards`, `/api/exports/${job.id}/download`]) {
    expect((await page.request.get(path)).status(), path).toBe(404);
  }
  const list = (await (await page.request.get('/api/exports')).json()) as Array<{ id: string }>;
  expect(list.map((j) => j.id)).not.toContain(job.id);
  await demo.close();

  await page.goto('/exports');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in to Baton' })).toBeVisible();
  await page.goto('/exports');
  await expect(page).toHaveURL(/\/sign-in\?next=%2Fexports/);
});

test.describe('signed in', () => {
  test.use({ storageState: AUTH_FILE });

  test('an export page that shows nothing is a 404, whether the id is unknown or not an id at all', async ({
    page,
  }) => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-an-id']) {
      const response = await page.goto(`/exports/${id}`);
      expect(response?.status(), id).toBe(404);
      await expect(page.getByRole('heading', { name: 'Export not found' })).toBeVisible();
    }
  });
});
