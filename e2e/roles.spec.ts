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
