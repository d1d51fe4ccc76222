import { readFile } from 'node:fs/promises';
import { expect, test } from './fixtures';
import { clearFaults, expectAccessible, getManifest, snapWidths, startSlowedExport } from './support';

// Faults are global to the devstack: never leave one behind for the next test.
test.afterEach(async ({ request }) => {
  await clearFaults(request);
});

test('the activity is in the order things happened, filters by kind, lane and person, and downloads as CSV', async ({
  page,
  request,
}, testInfo) => {
  test.setTimeout(180_000);
  // Each lane sits in a slow source fetch: it sees the cancel only after the request, so its invocation
  // ends "cancelled" after it.
  const job = await startSlowedExport(page, request);
  const cancel = await page.request.post(`/api/exports/${job.id}/cancel`, { data: {} });
  expect(cancel.status(), await cancel.text()).toBe(202);
  await clearFaults(request);
  await expect.poll(async () => (await getManifest(page, job.id)).job.status, { timeout: 60_000 }).toBe('cancelled');

  await page.goto(`/exports/${job.id}?tab=activity`);
  const activity = page.getByRole('list', { name: 'Activity timeline' });
  // Generous: the machine running the tests may be busy.
  await expect(activity.getByText('Cancel requested by you')).toBeVisible({ timeout: 60_000 });
  const rows = activity.getByRole('listitem');

  // 1. In the order things happened: no lane "cancelled" above the request it obeyed, times never go back.
  const titles = await rows.evaluateAll((items) => items.map((li) => li.querySelector('p')?.textContent ?? ''));
  const requested = titles.findIndex((t) => t.includes('Cancel requested by you'));
  const laneCancelled = titles.flatMap((t, i) => (/Invocation #\d+ on lane \d+.*cancelled$/.test(t) ? [i] : []));
  expect(laneCancelled.length, titles.join('\n')).toBeGreaterThan(0);
  expect(Math.min(...laneCancelled), titles.join('\n')).toBeGreaterThan(requested);
  const times = await activity.locator('time').evaluateAll((els) => els.map((t) => t.getAttribute('datetime') ?? ''));
  expect(times.map((t) => Date.parse(t))).toEqual(times.map((t) => Date.parse(t)).sort((x, y) => x - y));

  // 2. Filters, in the URL: kind, then person; each narrows the list and the CSV.
  await page.getByLabel('Kind', { exact: true }).selectOption({ label: 'Cancels' });
  await expect(page).toHaveURL(/[?&]kind=cancels/);
  await expect(rows).toHaveCount(2);
  await expect(rows.first()).toContainText('Cancel requested by you');
  await expect(rows.last()).toContainText('Cancelled (run 1): the worker stopped');
  await page.getByLabel('Person', { exact: true }).selectOption({ label: 'you' });
  await expect(page).toHaveURL(/[?&]by=[0-9a-f-]{36}/);
  await expect(rows).toHaveCount(1);
  await expectAccessible(page, testInfo, 'activity-filtered');
  await snapWidths(page, testInfo, '50-activity-filtered');

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download CSV (1 row)' }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/^activity-blog-posts.*\.csv$/);
  const csv = (await readFile((await download.path())!)).toString('utf8');
  const [header, row, end, ...more] = csv.split('\r\n');
  expect(header).toBe('time,kind,run,lane,by,what happened,detail,technical detail');
  expect(row).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z,cancel_requested,1,,you,Cancel requested by you,,$/);
  expect([end, more]).toEqual(['', []]);

  // The filtered view survives a reload; a lane filter keeps only that lane's rows.
  await page.reload();
  await expect(rows).toHaveCount(1);
  await page.getByRole('button', { name: 'Clear filters' }).click();
  await page.getByLabel('Lane', { exact: true }).selectOption({ label: 'Lane 1' });
  await expect(page).toHaveURL(/[?&]lane=1/);
  for (const text of await rows.allTextContents()) expect(text).toMatch(/lane 1|Lane 1/);
});
