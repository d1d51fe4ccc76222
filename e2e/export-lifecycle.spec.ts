import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import {
  clearFaults,
  expectAccessible,
  expectNoReload,
  getManifest,
  markDocument,
  setFaults,
  skipRetryBackoff,
  snap,
  startExport,
  startSlowedExport,
  verifyDownloadedFile,
} from './support';

// Faults are global to the devstack: never leave one behind for the next test.
test.afterEach(async ({ request }) => {
  await clearFaults(request);
});

const summary = (page: Page) => page.getByTestId('run-length-summary');

test('start an export from the form, watch the map fill live, download it whole, get one notification', async ({
  page,
  request,
}, testInfo) => {
  test.setTimeout(180_000);
  await page.goto('/exports');
  await expectAccessible(page, testInfo, 'exports-list');
  await snap(page, testInfo, '01-exports-list');

  await page.getByRole('link', { name: 'New export' }).first().click();
  await expect(page.getByRole('heading', { name: 'New export' })).toBeVisible();
  await expect(page.getByLabel('Source').locator('option:checked')).toHaveText(/Blog posts .* [\d,]+ records/);
  await expect(page.getByText(/All [\d,]+ records/)).toBeVisible();

  // The filter is checked as you type: a bad one blocks the start with Typesense's message.
  const filter = page.getByLabel(/Filter/);
  await filter.fill('no_such_field:=1');
  await expect(page.getByText(/no_such_field/).last()).toBeVisible();
  await expect(page.getByRole('button', { name: 'Start export' })).toBeDisabled();
  await filter.fill('');
  await expect(page.getByText(/This export will write about [\d,]+ records in [\d,]+ shards/)).toBeVisible();
  await expectAccessible(page, testInfo, 'new-export');
  await snap(page, testInfo, '02-new-export');

  // 150 ms a source page keeps a 20,000-record export (80 pages) running for 12 s or more: long enough to
  // see it fill live on a busy machine (the worker fetches the next page while it writes the last, so the
  // source's latency sets the pace).
  await setFaults(request, { typesense: { latencyMs: 150 } });
  await page.getByRole('button', { name: 'Start export' }).click();
  await page.waitForURL(/\/exports\/[0-9a-f-]{36}$/);
  const id = page.url().split('/').pop()!;
  await markDocument(page);

  // Live: shards turn done while others are still being written — without any reload.
  await expect(summary(page)).toContainText(/\b1(–[\d,]+)? done · [\d,]+ writing · [\d,–]+ pending/, {
    timeout: 30_000,
  });
  await expect(page.getByText('Live', { exact: true })).toBeVisible();
  await snap(page, testInfo, '03-export-running');
  await expectAccessible(page, testInfo, 'export-running');

  await expect(page.getByRole('link', { name: /^Download CSV/ })).toBeVisible({ timeout: 120_000 });
  // The in-session toast with its "View" action (checked first: a toast goes away on its own).
  await expect(page.getByText(/^Export completed: Blog posts/).first()).toBeVisible();
  await expect(summary(page)).toHaveText(/^Shards: 1–[\d,]+ done$/);
  await expectNoReload(page);
  await snap(page, testInfo, '04-export-completed');
  await expectAccessible(page, testInfo, 'export-completed');

  // The map is one tab stop; arrows move, Enter opens the shard inspector (deep-linked in the URL).
  await page.getByRole('button', { name: 'Shard 1: done' }).focus();
  await page.keyboard.press('ArrowRight');
  await expect(page.getByRole('button', { name: 'Shard 2: done' })).toBeFocused();
  await page.keyboard.press('Enter');
  const inspector = page.getByRole('dialog', { name: 'Shard 2' });
  await expect(inspector).toContainText(/SHA-256\s*[0-9a-f]{64}/);
  await expect(page).toHaveURL(/[?&]shard=2\b/);
  await snap(page, testInfo, '04b-shard-inspector');
  await expectAccessible(page, testInfo, 'shard-inspector');
  await page.keyboard.press('Escape');
  await expect(inspector).toBeHidden();
  await page.goto(`/exports/${id}?tab=support&shard=3`);
  await expect(page.getByRole('dialog', { name: 'Shard 3' })).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByRole('tab', { name: 'Support' })).toHaveAttribute('aria-selected', 'true');
  await page.getByRole('tab', { name: 'Shards' }).click();

  // The browser's download equals the manifest, shard by shard, and the API's bytes.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: /^Download CSV/ }).click(),
  ]);
  const file = new Uint8Array(await readFile((await download.path())!));
  const manifest = await getManifest(page, id);
  const { rows } = verifyDownloadedFile(file, manifest);
  expect(rows).toBe(manifest.job.rows_written);
  expect(rows).toBe(manifest.job.estimated_rows);
  const viaApi = await page.request.get(`/api/exports/${id}/download`);
  expect(Buffer.compare(await viaApi.body(), Buffer.from(file))).toBe(0);

  // Every form with its exact size; the CSV for Excel is the same file after one UTF-8 byte-order mark.
  await page.getByRole('button', { name: 'Download forms' }).click();
  const forms = page.getByRole('dialog', { name: 'Download forms' });
  const exactly = (bytes: number) => `\\(${bytes.toLocaleString('en-US')} bytes\\)`;
  await expect(
    forms.getByRole('link', { name: new RegExp(`^CSV [\\d.]+ [kMG]?B ${exactly(file.length)}`) }),
  ).toBeVisible();
  const excelLink = forms.getByRole('link', {
    name: new RegExp(`^CSV for Excel [\\d.]+ [kMG]?B ${exactly(file.length + 3)}`),
  });
  // The .csv.gz: its exact size on the link, and gunzip of it is the CSV byte for byte.
  const gzipLink = forms.getByRole('link', { name: /^CSV, gzip [\d.]+ [kMG]?B \(([\d,]+) bytes\)/ });
  const gzipName = (await gzipLink.textContent()) ?? '';
  const gzip = await page.request.get((await gzipLink.getAttribute('href'))!);
  expect(gzip.headers()['content-disposition']).toMatch(/\.csv\.gz"$/);
  const gzipBody = await gzip.body();
  expect(gzipName).toContain(`(${gzipBody.length.toLocaleString('en-US')} bytes)`);
  expect(Buffer.compare(gunzipSync(gzipBody), Buffer.from(file))).toBe(0);
  await snap(page, testInfo, '04c-download-forms');
  const [excel] = await Promise.all([page.waitForEvent('download'), excelLink.click()]);
  expect(excel.suggestedFilename()).toMatch(/-excel\.csv$/);
  const excelFile = await readFile((await excel.path())!);
  expect([...excelFile.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  expect(Buffer.compare(excelFile.subarray(3), Buffer.from(file))).toBe(0);

  // Exactly one "completed" notification for this job, also after a reload.
  for (const reload of [false, true]) {
    if (reload) await page.reload();
    await page.getByRole('button', { name: /^Notifications/ }).click();
    const panel = page.getByRole('dialog', { name: 'Notifications' });
    await expect(panel.getByRole('link', { name: /Export completed: Blog posts/ }).first()).toBeVisible();
    await expect(panel.locator(`a[href="/exports/${id}"]`)).toHaveCount(1);
    if (!reload) await snap(page, testInfo, '05-notifications');
    await page.keyboard.press('Escape');
  }
});

test('cancel while running: cancelling, then cancelled; retry missing completes the whole file', async ({
  page,
  request,
}, testInfo) => {
  test.setTimeout(180_000);
  // A slow source page holds the worker between shards, so the "Cancelling…" phase is visible.
  const job = await startSlowedExport(page, request);
  await page.getByRole('button', { name: 'Cancel export' }).click();
  const confirm = page.getByRole('alertdialog', { name: 'Cancel this export?' });
  await confirm.getByRole('button', { name: 'Cancel export' }).click();
  // The same button, now "Cancelling…", keeps the focus the dialog hands back; it opens nothing more.
  await expect(page.getByRole('button', { name: 'Cancelling…' })).toBeFocused();
  await expect(page.getByRole('button', { name: 'Cancelling…' })).toHaveAttribute('aria-disabled', 'true');
  await expect(page.getByText('Cancelling…').first()).toBeVisible();
  await expect(page.getByText(/Cancelled — [\d,]+ shards? \([\d,]+ records\) written\./)).toBeVisible({
    timeout: 30_000,
  });
  // "Cancelling…" gives way to "Retry missing", and the focus goes with it.
  await expect(page.getByRole('button', { name: 'Retry missing' })).toBeFocused();
  await clearFaults(request);
  await expect(summary(page)).toContainText(/not written$/);
  await expect(page.getByRole('link', { name: /^Download partial CSV/ })).toBeVisible();
  // The partial file comes in every form too.
  await page.getByRole('button', { name: 'Download forms' }).click();
  const partialExcel = page
    .getByRole('dialog', { name: 'Download forms' })
    .getByRole('link', { name: /^CSV for Excel \(partial\)/ });
  const partialExcelHref = (await partialExcel.getAttribute('href'))!;
  expect(partialExcelHref).toBe(`/api/exports/${job.id}/download?partial=1&form=excel`);
  const [plainPartial, excelPartial] = await Promise.all([
    page.request.get(`/api/exports/${job.id}/download?partial=1`),
    page.request.get(partialExcelHref),
  ]);
  expect(excelPartial.headers()['content-disposition']).toMatch(/-partial-excel\.csv"$/);
  expect(Buffer.compare((await excelPartial.body()).subarray(3), await plainPartial.body())).toBe(0);
  const partialGzip = page
    .getByRole('dialog', { name: 'Download forms' })
    .getByRole('link', { name: /^CSV, gzip \(partial\)/ });
  const gzipPartial = await page.request.get((await partialGzip.getAttribute('href'))!);
  expect(gzipPartial.headers()['content-disposition']).toMatch(/-partial\.csv\.gz"$/);
  expect(Buffer.compare(gunzipSync(await gzipPartial.body()), await plainPartial.body())).toBe(0);
  await page.keyboard.press('Escape');
  await snap(page, testInfo, '06-export-cancelled');
  await expectAccessible(page, testInfo, 'export-cancelled');

  // Retry missing: preview first, then confirm.
  await page.getByRole('button', { name: 'Retry missing' }).click();
  const dialog = page.getByRole('alertdialog', { name: 'Retry what is missing' });
  // The rest is named lane by lane: where each resumes, in its shards and records.
  const preview = dialog.getByText(/^This will re-run /);
  await expect(preview).toContainText(
    /the unwritten rest, by the estimate: (shards [\d,]+–[\d,]+ of lane \d \(records [\d,]+–[\d,]+\)|lane \d from its shard|lanes? [\d–, and]+ in full)/,
  );
  await expect(preview).not.toContainText('the unwritten rest (~');
  await snap(page, testInfo, '07-retry-preview');
  await expectAccessible(page, testInfo, 'retry-preview');
  await dialog.getByRole('button', { name: /^Re-run/ }).click();
  await expect(dialog).toBeHidden();

  await expect(page.getByRole('link', { name: /^Download CSV/ })).toBeVisible({ timeout: 120_000 });
  await expect(summary(page)).toHaveText(/^Shards: 1–[\d,]+ done$/);
  const manifest = await getManifest(page, job.id);
  const file = new Uint8Array(await (await page.request.get(`/api/exports/${job.id}/download`)).body());
  const { rows } = verifyDownloadedFile(file, manifest);
  expect(rows).toBe(manifest.job.estimated_rows);
});

test('a forced source failure shows the failed state, its error and the retry path', async ({
  page,
  request,
}, testInfo) => {
  test.setTimeout(180_000);
  const job = await startExport(page);
  await setFaults(request, { typesense: { errorRate: 1 } });
  await page.goto(`/exports/${job.id}`);

  // Retried with backoff first, then failed for good.
  await expect(page.getByText(/^Retrying \(attempt \d+ of \d+\)/)).toBeVisible({ timeout: 60_000 });
  const stopSkipping = await skipRetryBackoff(job.id);
  try {
    await expect(page.getByText('Export failed', { exact: true })).toBeVisible({ timeout: 120_000 });
  } finally {
    await stopSkipping();
  }

  // The failed export opens on its own page (no panel over the headline): the first failed shard is
  // highlighted and linked from the banner, and its panel opens from there.
  await expect(page.getByRole('dialog')).toHaveCount(0);
  const failedCell = page.locator('[data-highlighted="true"]');
  await expect(failedCell).toHaveAttribute('data-state', 'failed');
  const failedNo = await failedCell.getAttribute('data-shard');
  await page.getByRole('button', { name: `Open shard ${failedNo}` }).click();
  await expect(page).toHaveURL(/shard=\d+/);
  const inspector = page.getByRole('dialog', { name: /^Shard [\d,]+$/ });
  await expect(inspector).toContainText('The worker failed while writing this shard');
  await snap(page, testInfo, '08-export-failed-inspector');
  await expectAccessible(page, testInfo, 'export-failed-inspector');
  await page.keyboard.press('Escape');
  await expect(inspector).toBeHidden();

  // The legend filters the map to a state.
  await page.getByRole('tab', { name: 'Shards' }).click();
  const failedFilter = page.getByRole('button', { name: /^Failed \d+$/ });
  await failedFilter.click();
  await expect(failedFilter).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByRole('group', { name: /^Shard map, 1 shard in the chosen states$/ })).toBeVisible();
  await page.getByRole('tab', { name: 'Support' }).click();
  await expect(page.getByRole('heading', { name: 'Errors' })).toBeVisible();
  await expect(page.getByText(/[\d,]+ × [a-z_]+/).first()).toBeVisible();
  await expect(page.getByRole('list', { name: 'Invocation timeline' }).getByText('Error').first()).toBeVisible();
  await snap(page, testInfo, '09-export-failed-support');
  await expectAccessible(page, testInfo, 'export-failed-support');

  // 1 s a page keeps the re-run going while focus is checked.
  await setFaults(request, { typesense: { errorRate: 0, latencyMs: 1_000 } });
  await page.getByRole('button', { name: 'Retry missing' }).click();
  const dialog = page.getByRole('alertdialog', { name: 'Retry what is missing' });
  await dialog.getByRole('button', { name: /^Re-run/ }).click();
  // The queued re-run swaps "Retry missing" for "Cancel export": focus goes there, not to the page.
  await expect(page.getByRole('button', { name: 'Cancel export' })).toBeFocused();
  await clearFaults(request);
  await expect(page.getByRole('link', { name: /^Download CSV/ })).toBeVisible({ timeout: 120_000 });
  const manifest = await getManifest(page, job.id);
  const file = new Uint8Array(await (await page.request.get(`/api/exports/${job.id}/download`)).body());
  expect(verifyDownloadedFile(file, manifest).rows).toBe(manifest.job.estimated_rows);
});

test('the download keeps its exact size for browsers (no on-the-fly compression)', async ({ page }) => {
  // The exports above completed at least one job; its download must carry the manifest's exact size.
  const list = (await (await page.request.get('/api/exports')).json()) as Array<{
    id: string;
    status: string;
    bytes_written: number;
  }>;
  const done = list.find((j) => j.status === 'completed');
  expect(done, 'a completed export from the tests above').toBeDefined();
  const head = await page.request.head(`/api/exports/${done!.id}/download`, {
    headers: { 'Accept-Encoding': 'gzip, deflate, br' },
  });
  expect(head.headers()['content-encoding']).toBeUndefined();
  expect(Number(head.headers()['content-length'])).toBe(done!.bytes_written);
  const excel = await page.request.head(`/api/exports/${done!.id}/download?form=excel`);
  expect(Number(excel.headers()['content-length'])).toBe(done!.bytes_written + 3);
  const tail = await page.request.get(`/api/exports/${done!.id}/download`, { headers: { Range: 'bytes=-100' } });
  expect(tail.status()).toBe(206);
  expect(tail.headers()['content-range']).toBe(
    `bytes ${done!.bytes_written - 100}-${done!.bytes_written - 1}/${done!.bytes_written}`,
  );
  expect((await tail.body()).length).toBe(100);
});
