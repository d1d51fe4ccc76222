import { readFile } from 'node:fs/promises';
import { expect, test } from './fixtures';
import { clearFaults, expectAccessible, getManifest, setFaults, snapWidths, startExport } from './support';

// Faults are global to the devstack: never leave one behind for the next test.
test.afterEach(async ({ request }) => {
  await clearFaults(request);
});

test('a shard’s history keeps every attempt; the activity says who did what, re-runs and downloads included', async ({
  page,
  request,
}, testInfo) => {
  test.setTimeout(180_000);
  // A slow source keeps the export running while two of its storage writes fail: the lanes that hit
  // them back off, retry and then write the shard.
  await setFaults(request, { typesense: { latencyMs: 250 } });
  const job = await startExport(page);
  await setFaults(request, { storage: { failNext: 2, match: `/${job.id}/` } });
  await page.goto(`/exports/${job.id}`);
  await expect(page.getByRole('link', { name: /^Download CSV/ })).toBeVisible({ timeout: 120_000 });

  const manifest = await getManifest(page, job.id);
  expect(manifest.failures.length).toBe(2);
  const failure = manifest.failures[0]!;
  expect(failure).toMatchObject({ error_kind: 'storage_failed', outcome: 'retrying', attempt: 1 });
  const shard = manifest.shards.find((s) => s.lane === failure.lane && s.lane_seq === failure.lane_seq)!;
  const failuresOfShard = manifest.failures.filter((f) => f.lane === shard.lane && f.lane_seq === shard.lane_seq);

  // The shard's panel lists each failed try and the write that finally succeeded, not "first write".
  await page.goto(`/exports/${job.id}?shard=${shard.shard_no}`);
  const inspector = page.getByRole('dialog', { name: `Shard ${shard.shard_no}` });
  const attempts = inspector.getByRole('list', { name: 'Attempts at this shard' }).getByRole('listitem');
  await expect(attempts).toHaveCount(failuresOfShard.length + 1);
  await expect(attempts.first()).toContainText(/Failed, retried · attempt 1 of 5/);
  await expect(attempts.first()).toContainText(`lane ${shard.lane}`);
  await expect(attempts.first()).toContainText('storage_failed');
  await expect(attempts.first()).toContainText(/Next try due/);
  await expect(attempts.last()).toContainText('Written (current)');
  await expect(inspector).not.toContainText('first write');
  await expectAccessible(page, testInfo, 'shard-history');
  await snapWidths(page, testInfo, '20-shard-history');
  await page.keyboard.press('Escape');

  // A download, a rename and a re-run of one shard: each lands on the activity with who did it.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: /^Download CSV/ }).click(),
  ]);
  expect((await readFile((await download.path())!)).byteLength).toBe(manifest.job.bytes_written);
  const renamed = await page.request.patch(`/api/exports/${job.id}`, { data: { name: 'Q4 blog audit' } });
  expect(renamed.status(), await renamed.text()).toBe(200);
  const badName = await page.request.patch(`/api/exports/${job.id}`, { data: { name: '   ' } });
  expect(badName.status()).toBe(422);
  expect(await badName.text()).toContain('Give the export a name');
  const rerun = await page.request.post(`/api/exports/${job.id}/retry`, { data: { shardNos: [2], verify: 'none' } });
  expect(rerun.status(), await rerun.text()).toBe(202);
  await expect.poll(async () => (await getManifest(page, job.id)).job.status, { timeout: 60_000 }).toBe('completed');

  await page.goto(`/exports/${job.id}?tab=activity`);
  const activity = page.getByRole('list', { name: 'Activity timeline' });
  await expect(activity.getByText('Created by you')).toBeVisible();
  await expect(activity.getByText(/^Planned \d+ lanes?$/)).toBeVisible();
  await expect(activity.getByText(/^Lane \d+ couldn't save its shard \d+: storage unavailable$/).first()).toBeVisible();
  await expect(activity.getByText(/^Attempt 1 of 5: retry at/).first()).toBeVisible();
  // The sentence leads; the raw error is one click away.
  const failureRow = activity
    .getByRole('listitem')
    .filter({ hasText: /couldn't save its shard/ })
    .first();
  await expect(failureRow.getByText(/^storage_failed: /)).toBeHidden();
  await failureRow.getByText('Technical details').click();
  await expect(failureRow.getByText(/^storage_failed: /)).toBeVisible();
  await expect(activity.getByText('Completed (run 1)')).toBeVisible();
  await expect(activity.getByText('Downloaded by you')).toBeVisible();
  await expect(activity.getByText('Renamed by you')).toBeVisible();
  await expect(activity.getByText('Re-run requested by you (run 2)')).toBeVisible();
  await expect(activity.getByText('Re-runs shard 2')).toBeVisible();
  await expect(activity.getByText('Completed (run 2)')).toBeVisible();
  await expect(activity.getByText(/^Invocation #1 on lane \d+ started$/)).toBeVisible();
  // The throughput chart, drawn from the shards' write times, with a text alternative.
  await expect(
    page.getByRole('figure', { name: /^Throughput over .* peak [\d,]+ records\/s; lane 1: [\d,]+ records/ }),
  ).toBeVisible();
  await expectAccessible(page, testInfo, 'activity');
  await snapWidths(page, testInfo, '21-activity');
});
