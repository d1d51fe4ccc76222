import { expect, test } from './fixtures';
import { AUTH_FILE, expectAccessible, signIn, snap, startExport, viewerUser } from './support';

// This test signs in as the viewer of the demo agency itself.
test.use({ storageState: { cookies: [], origins: [] } });

test('a viewer watches and downloads, but cannot start, cancel or re-run (hidden, and 403 from the API)', async ({
  newContext,
  page,
}, testInfo) => {
  test.setTimeout(120_000);
  const demo = await newContext({ storageState: AUTH_FILE });
  const job = await startExport(await demo.newPage());
  await demo.close();

  await signIn(page, viewerUser);
  await page.goto(`/exports/${job.id}`);
  await expect(page.getByText('Your role is viewer: you can watch and download')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Cancel export' })).toHaveCount(0);
  await expect(page.getByRole('link', { name: /^Download CSV/ })).toBeVisible({ timeout: 90_000 });
  await expect(page.getByRole('button', { name: /Retry missing|Verify & repair/ })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Rename export' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: /^Run again/ })).toHaveCount(0);
  await expectAccessible(page, testInfo, 'export-viewer');

  // The shard panel: no re-run, and a note saying why.
  await page.getByRole('button', { name: 'Shard 1: done' }).click();
  const panel = page.getByRole('dialog', { name: 'Shard 1' });
  await expect(panel.getByText('Your role is viewer: a member can re-run this shard.')).toBeVisible();
  await expect(panel.getByRole('button', { name: 'Re-run shard' })).toHaveCount(0);
  await expect(panel.getByRole('button', { name: 'Copy link' })).toBeVisible();
  await expectAccessible(page, testInfo, 'export-viewer-shard');
  await snap(page, testInfo, '52-viewer-shard-panel');

  const started = await page.request.post('/api/exports', { data: { sourceId: job.source_id, format: 'csv' } });
  expect(started.status()).toBe(403);
  expect(((await started.json()) as { error: { message: string } }).error.message).toMatch(
    /^Your role in this organisation is viewer/,
  );
  const retried = await page.request.post(`/api/exports/${job.id}/retry`, { data: {} });
  expect(retried.status()).toBe(403);
});

test('a viewer is offered no start anywhere: no "New export", a note on /exports/new, no start, cancel or retry in the palette', async ({
  newContext,
  page,
}, testInfo) => {
  test.setTimeout(240_000);
  const demo = await newContext({ storageState: AUTH_FILE });
  const job = await startExport(await demo.newPage());
  await demo.close();

  await signIn(page, viewerUser);
  await expect(page.getByRole('link', { name: 'New export' })).toHaveCount(0);
  await expect(page.getByText('Your role is viewer: you can watch and download exports')).toBeVisible();

  await page.goto('/exports/new');
  await expect(page.getByRole('heading', { name: 'New export' })).toBeVisible();
  await expect(page.getByRole('note')).toContainText(/Your role is viewer.*Ask an admin of your organisation/);
  await expect(page.getByRole('button', { name: /Start/ })).toHaveCount(0);
  await expect(page.getByRole('combobox')).toHaveCount(0);
  await expectAccessible(page, testInfo, 'new-export-viewer');

  await page.keyboard.press('ControlOrMeta+K');
  const palette = page.getByRole('dialog', { name: 'Command palette' });
  await expect(palette.getByRole('option', { name: 'All exports' })).toBeVisible();
  await expect(palette.getByRole('option', { name: 'Start a new export' })).toHaveCount(0);
  await page.keyboard.press('Escape');

  // On the export page the palette offers the shards and the download, never cancel or retry.
  await page.goto(`/exports/${job.id}`);
  await expect(page.getByRole('link', { name: /^Download CSV/ })).toBeVisible({ timeout: 90_000 });
  await expect(page.getByRole('button', { name: /Run again/ })).toHaveCount(0);
  await page.keyboard.press('ControlOrMeta+K');
  await expect(palette.getByRole('option', { name: 'Download CSV' })).toBeVisible();
  await expect(palette.getByRole('option', { name: /Go to shard/ })).toBeVisible();
  await expect(palette.getByRole('option', { name: /Cancel export|Retry missing|Verify & repair/ })).toHaveCount(0);
});
