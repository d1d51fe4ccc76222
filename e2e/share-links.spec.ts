import { readFile } from 'node:fs/promises';
import { expect, test } from './fixtures';
import { expectAccessible, getManifest, snap, snapWidths, startExport, verifyDownloadedFile } from './support';

test('a share link: made on the export page, used without a session, revoked, and then it stops', async ({
  page,
  newContext,
}, testInfo) => {
  test.setTimeout(300_000);
  const job = await startExport(page);
  await expect.poll(async () => (await getManifest(page, job.id)).job.status, { timeout: 90_000 }).toBe('completed');

  await page.goto(`/exports/${job.id}`);
  await page.getByRole('button', { name: 'Share' }).click();
  const dialog = page.getByRole('dialog', { name: 'Share this file' });
  await expect(dialog.getByLabel('Works for')).toHaveValue('24');
  await dialog.getByLabel('Note (optional, for your colleagues)').fill('For the client');
  await dialog.getByRole('button', { name: 'Create link' }).click();
  const url = await dialog.getByLabel('Share link').inputValue();
  expect(url).toMatch(/\/s\/[A-Za-z0-9_-]{43}$/);
  await expect(dialog.getByText('For the client', { exact: true })).toBeVisible();
  await expect(dialog.getByText('It expires in 23 hours', { exact: false })).toBeVisible();
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    await expectAccessible(page, testInfo, `share-dialog-${colorScheme}`);
    await snap(page, testInfo, `70-share-dialog-${colorScheme}`);
  }
  await page.emulateMedia({ colorScheme: 'light' });

  // A visitor: a fresh browser context, no cookies, no session.
  const visitor = await newContext({ storageState: { cookies: [], origins: [] } });
  const visitorPage = await visitor.newPage();
  const opened = await visitorPage.goto(url);
  expect(opened?.status()).toBe(200);
  const manifest = await getManifest(page, job.id);
  await expect(visitorPage.getByRole('heading', { level: 1, name: manifest.job.name })).toBeVisible();
  for (const colorScheme of ['light', 'dark'] as const) {
    await visitorPage.emulateMedia({ colorScheme });
    await expectAccessible(visitorPage, testInfo, `shared-page-${colorScheme}`);
    await snapWidths(visitorPage, testInfo, `71-shared-page-${colorScheme}`);
  }
  const [download] = await Promise.all([
    visitorPage.waitForEvent('download'),
    visitorPage.getByRole('link', { name: 'Download CSV', exact: true }).click(),
  ]);
  verifyDownloadedFile(new Uint8Array(await readFile((await download.path())!)), manifest);

  // Revoked: the page and the file answer 404 at once.
  await dialog.getByRole('button', { name: 'Revoke the link “For the client”' }).click();
  await expect(dialog.getByText('revoked', { exact: false })).toBeVisible();
  const reopened = await visitorPage.goto(url);
  expect(reopened?.status()).toBe(404);
  await expect(visitorPage.getByRole('heading', { name: 'This link does not work' })).toBeVisible();
  await expectAccessible(visitorPage, testInfo, 'shared-page-dead');
  await snap(visitorPage, testInfo, '72-shared-page-dead');
  const token = url.split('/s/')[1]!;
  expect((await visitorPage.request.get(`/api/shared/${token}/download`)).status()).toBe(404);
  await visitor.close();

  // The export's activity says the file went out through the link.
  await page.goto(`/exports/${job.id}?tab=activity`);
  await expect(page.getByText('Downloaded through a share link (“For the client”)')).toBeVisible();
});
