import { expect, test } from './fixtures';
import {
  clearFaults,
  expectAccessible,
  getManifest,
  setFaults,
  skipRetryBackoff,
  snapWidths,
  startExport,
} from './support';

/** The banner's sentence for a source that stopped answering, at a shard with a number or a lane's next one. */
const SOURCE_FAILED =
  /Couldn't read the records of (shard [\d,]+|the next shard of lane \d): the search index \(Typesense\) did not answer/;

// Faults are global to the devstack: never leave one behind for the next test.
test.afterEach(async ({ request }) => {
  await clearFaults(request);
});

test('a failed export opens on its page: plain error first, details folded, every lane’s failed shard marked, each with its own tries', async ({
  page,
  request,
}, testInfo) => {
  test.setTimeout(240_000);
  await page.setViewportSize({ width: 390, height: 844 });
  // 1 s a page: each of the 4 lanes (20 pages each) is still running when every lane has written a shard.
  await setFaults(request, { typesense: { latencyMs: 1_000 } });
  const job = await startExport(page, 'blog_posts', 'csv', { lanes: 4 });
  await page.goto(`/exports/${job.id}`);
  await expect
    .poll(async () => new Set((await getManifest(page, job.id)).shards.map((s) => s.lane)).size, { timeout: 60_000 })
    .toBe(4);
  // From now on the source answers nothing but 503: each lane retries with a backoff, then gives up.
  await setFaults(request, { typesense: { latencyMs: 1_000, errorRate: 1 } });

  const banner = page.getByTestId('error-banner');
  await expect(banner).toContainText(/Retrying \(attempt \d of 5\) — next try at \d\d:\d\d:\d\d/, { timeout: 30_000 });
  await expect(banner).toContainText(SOURCE_FAILED);
  await snapWidths(page, testInfo, '25-retrying');

  const stopSkipping = await skipRetryBackoff(job.id);
  try {
    await expect(banner).toContainText('Export failed', { timeout: 120_000 });
  } finally {
    await stopSkipping();
  }
  await expect(banner).toContainText(new RegExp(`${SOURCE_FAILED.source} — tried 5 times over \\d`));
  // Not under a panel: no dialog, the headline and Retry in view on a phone, the failed shard ringed.
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await expect(page).not.toHaveURL(/shard=/);
  await expect(page.getByRole('heading', { level: 1 })).toBeInViewport();
  await expect(page.getByRole('button', { name: 'Retry missing' })).toBeInViewport();
  const failed = page.locator('[data-highlighted="true"]');
  await expect(failed).toHaveAttribute('data-state', 'failed');
  const failedNo = Number(await failed.getAttribute('data-shard'));
  // All four lanes failed; every lane that gave up before the export ended is marked failed at its own
  // place (the first give-up fails the export, so lanes still in their backoff stop without giving up).
  const manifest = await getManifest(page, job.id);
  expect(new Set(manifest.failures.map((f) => f.lane)).size).toBe(4);
  const gaveUp = new Set(manifest.failures.filter((f) => f.outcome === 'failed').map((f) => f.lane)).size;
  expect(gaveUp).toBeGreaterThanOrEqual(1);
  await expect(page.locator('[data-state="failed"]')).toHaveCount(gaveUp);

  // The raw error is one click away, not in the way.
  const raw = banner.getByText(/Not Ready or Lagging/);
  await expect(raw).toBeHidden();
  await banner.getByText('Technical details').click();
  await expect(raw).toBeVisible();
  await expect(banner).toContainText('source_unavailable');
  await expectAccessible(page, testInfo, 'export-failed');
  await snapWidths(page, testInfo, '26-export-failed');

  // The link opens that shard, with its own lane's five failed tries (not the other lanes' fifteen).
  await banner.getByRole('button', { name: `Open shard ${failedNo}` }).click();
  const inspector = page.getByRole('dialog', { name: `Shard ${failedNo}` });
  const attempts = inspector.getByRole('list', { name: 'Attempts at this shard' }).getByRole('listitem');
  await expect(attempts).toHaveCount(5);
  await expect(attempts.last()).toContainText('Failed, gave up · attempt 5 of 5');
  const lane = /lane (\d)/.exec(await attempts.first().innerText())?.[1];
  expect(lane, 'the first try names its lane').toBeDefined();
  for (const item of await attempts.all()) await expect(item).toContainText(`lane ${lane}`);
  await expectAccessible(page, testInfo, 'failed-shard');
  await snapWidths(page, testInfo, '27-failed-shard');
});
