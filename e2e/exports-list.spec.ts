import { expect, test } from './fixtures';
import type { ExportJob } from '@/lib/exports/types';
import { clearFaults, expectAccessible, setFaults, snapWidths, startExport } from './support';

test.afterEach(async ({ request }) => {
  await clearFaults(request);
});

test('the list: names tell exports apart, ~44 px rows, steady times, j/k and /, cards on a phone; run again', async ({
  page,
  request,
}, testInfo) => {
  test.setTimeout(180_000);
  // 1 s a page (80 pages: 80 s or more): the exports are still running while the keyboard is tried, however
  // slow the machine, so the list re-renders every second under the focused link.
  await setFaults(request, { typesense: { latencyMs: 1_000 } });
  const first = await startExport(page);
  const second = await startExport(page);
  // A name of its own, so a repeated run (--repeat-each) on the same database finds only this one.
  const name = `Weekly blog backup ${Date.now().toString(36)}`;
  const renamed = await page.request.patch(`/api/exports/${second.id}`, { data: { name } });
  expect(renamed.status()).toBe(200);

  await page.goto('/exports');
  const table = page.getByRole('table');
  await expect(table.getByRole('link', { name: new RegExp(`^${name}`) })).toBeVisible();
  // The other keeps its generated name (source · filter · time), which may repeat within a minute.
  await expect(table.locator(`a[href="/exports/${first.id}"]`)).toContainText(first.name);
  // Rows are compact: about 44 px.
  const height = (await table.locator('tbody tr').first().boundingBox())!.height;
  expect(height).toBeGreaterThanOrEqual(40);
  expect(height).toBeLessThanOrEqual(50);

  // Relative times keep one form ("… ago") from the first paint on.
  const created = table.locator('tbody tr').first().locator('time');
  await expect(created).toHaveText(/ago$/);

  // Keyboard: j/k move between exports, / goes to the search, which finds names.
  await page.locator('body').click({ position: { x: 5, y: 300 } });
  await page.keyboard.press('j');
  const links = table.locator('a[data-row-link]');
  await expect(links.nth(0)).toBeFocused();
  await page.keyboard.press('j');
  await expect(links.nth(1)).toBeFocused();
  await page.keyboard.press('k');
  await expect(links.nth(0)).toBeFocused();
  // Focus survives the list's live updates: a running export's duration ticks, the link stays focused.
  const running = table.locator('tbody tr', { hasText: 'Running' }).first();
  await expect(running, 'an export still running').toBeVisible();
  const duration = running.locator('td').nth(5);
  const shown = await duration.textContent();
  expect(shown).toMatch(/\d/);
  await expect(duration).not.toHaveText(shown ?? '');
  await expect(links.nth(0)).toBeFocused();
  // Its progress moves without a reload: the organisation's list topic carries every running export's
  // progress (at most once a second) while pages land one a second.
  const progress = running.locator('td').nth(2);
  const progressShown = await progress.textContent();
  expect(progressShown).toMatch(/\d+\/\d+/);
  await expect(progress).not.toHaveText(progressShown ?? '', { timeout: 30_000 });
  await page.keyboard.press('/');
  const search = page.getByRole('searchbox', { name: /Search exports/ });
  await expect(search).toBeFocused();
  await search.fill(name.toLowerCase());
  await expect(table.locator('tbody tr')).toHaveCount(1);
  await expectAccessible(page, testInfo, 'exports-list');
  await search.fill('');
  await snapWidths(page, testInfo, '29-exports-list');

  // On a phone the rows are cards.
  await page.setViewportSize({ width: 390, height: 844 });
  await expect(table).toBeHidden();
  await expect(page.getByRole('list', { name: 'Exports' }).getByRole('link', { name })).toBeVisible();
  await expectAccessible(page, testInfo, 'exports-list-phone');
  await page.setViewportSize({ width: 1280, height: 900 });

  // Run again with the same settings: a new export of the same source, columns, filter, format, lanes.
  await clearFaults(request);
  await page.goto(`/exports/${first.id}`);
  await expect(page.getByRole('button', { name: 'Run again with the same settings' })).toBeVisible({
    timeout: 120_000,
  });
  await page.getByRole('button', { name: 'Run again with the same settings' }).click();
  await page.waitForURL((url) => /\/exports\/[0-9a-f-]{36}$/.test(url.pathname) && !url.pathname.endsWith(first.id));
  const againId = page.url().split('/').pop()!;
  const again = (await (await page.request.get(`/api/exports/${againId}`)).json()) as ExportJob;
  expect(again).toMatchObject({
    source_id: first.source_id,
    format: first.format,
    fields: first.fields,
    filter: first.filter,
    lane_count: first.lane_count,
  });
});
