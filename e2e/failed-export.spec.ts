import { expect, test } from './fixtures';
import { clearFaults, expectAccessible, getManifest, setFaults, snapWidths, startExport } from './support';

// Faults are global to the devstack: never leave one behind for the next test.
test.afterEach(async ({ request }) => {
  await clearFaults(request);
});

test('a failed export opens on its page: plain error first, details folded, the failed shard highlighted and linked', async ({
  page,
  request,
}, testInfo) => {
  test.setTimeout(180_000);
  await page.setViewportSize({ width: 390, height: 844 });
  // 300 ms a page: the 80-page export is still running (24 s or more) when its first shard shows.
  await setFaults(request, { typesense: { latencyMs: 300 } });
  const job = await startExport(page);
  await page.goto(`/exports/${job.id}`);
  await expect(page.locator('[data-state="done"]').first()).toBeVisible({ timeout: 30_000 });
  // From now on every write of this export fails: each lane retries with a backoff, then gives up.
  await setFaults(request, { typesense: { latencyMs: 300 }, storage: { errorRate: 1, match: `/${job.id}/` } });

  const banner = page.getByTestId('error-banner');
  await expect(banner).toContainText(/Retrying \(attempt \d of 5\) — next try at \d\d:\d\d:\d\d/, { timeout: 30_000 });
  await expect(banner).toContainText(/Couldn't save shard [\d,]+: storage unavailable/);
  await snapWidths(page, testInfo, '25-retrying');

  await expect(banner).toContainText('Export failed', { timeout: 120_000 });
  await expect(banner).toContainText(/Couldn't save shard [\d,]+: storage unavailable — tried 5 times over \d/);
  // Not under a panel: no dialog, the headline and Retry in view on a phone, the failed shard ringed.
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await expect(page).not.toHaveURL(/shard=/);
  await expect(page.getByRole('heading', { level: 1 })).toBeInViewport();
  await expect(page.getByRole('button', { name: 'Retry missing' })).toBeInViewport();
  const failed = page.locator('[data-highlighted="true"]');
  await expect(failed).toHaveAttribute('data-state', 'failed');
  const failedNo = Number(await failed.getAttribute('data-shard'));

  // The raw error is one click away, not in the way.
  const raw = banner.getByText(/upload .*Storage is unavailable/);
  await expect(raw).toBeHidden();
  await banner.getByText('Technical details').click();
  await expect(raw).toBeVisible();
  await expect(banner).toContainText('storage_failed');
  await expectAccessible(page, testInfo, 'export-failed');
  await snapWidths(page, testInfo, '26-export-failed');

  // The link opens that shard, with its five failed tries.
  await banner.getByRole('button', { name: `Open shard ${failedNo}` }).click();
  const inspector = page.getByRole('dialog', { name: `Shard ${failedNo}` });
  const attempts = inspector.getByRole('list', { name: 'Attempts at this shard' }).getByRole('listitem');
  await expect(attempts).toHaveCount(5);
  await expect(attempts.last()).toContainText('Failed, gave up · attempt 5 of 5');
  const manifest = await getManifest(page, job.id);
  expect(manifest.failures.filter((f) => f.outcome === 'failed')).toHaveLength(1);
  await expectAccessible(page, testInfo, 'failed-shard');
  await snapWidths(page, testInfo, '27-failed-shard');
});
