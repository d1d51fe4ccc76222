import { expect, test } from './fixtures';
import { expectAccessible, snapWidths, startExport } from './support';

test('the exports table fits its box at desktop widths, the header is one row on a phone, one Tab reaches the first export', async ({
  page,
}, testInfo) => {
  test.setTimeout(120_000);
  // Two exports: the table has rows whatever else the database holds, one of them with a long name (a
  // name's full length once set the table's width).
  const long = await startExport(page);
  const name = `Quarterly blog archive for the agency's largest client, every post and every field ${Date.now()}`;
  expect((await page.request.patch(`/api/exports/${long.id}`, { data: { name } })).status()).toBe(200);
  await startExport(page, 'site_pages');
  await page.goto('/exports');
  const table = page.getByRole('table');
  await expect(table.locator('a[data-row-link]').first()).toBeVisible({ timeout: 60_000 });

  // Never wider than its box (it was 26 px wider, the Created column clipped), and no cell clips its text.
  for (const width of [1280, 1920]) {
    await page.setViewportSize({ width, height: 900 });
    const fit = await table.evaluate((el) => {
      const box = el.parentElement!;
      const clipped = [...el.querySelectorAll('th, td')]
        .filter((cell) => cell.scrollWidth > cell.clientWidth)
        .map((cell) => cell.textContent);
      return { scrollWidth: box.scrollWidth, clientWidth: box.clientWidth, clipped };
    });
    expect(fit.scrollWidth, `the table's box at ${width} px`).toBeLessThanOrEqual(fit.clientWidth);
    expect(fit.clipped, `cells clipped at ${width} px`).toEqual([]);
    const created = table.getByRole('columnheader', { name: 'Created' });
    const box = (await table.locator('xpath=..').boundingBox())!;
    const header = (await created.boundingBox())!;
    expect(header.x + header.width).toBeLessThanOrEqual(box.x + box.width);
  }

  // Keyboard: the first tab stop skips the header, search, filters and column headings to the first export.
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto('/exports');
  await expect(table.locator('a[data-row-link]').first()).toBeVisible({ timeout: 60_000 });
  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: 'Skip to exports' });
  await expect(skip).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(table.locator('a[data-row-link]').first()).toBeFocused();

  // At 390 px the header is one row: everything in it shares the row of the name, nothing sideways.
  await page.setViewportSize({ width: 390, height: 844 });
  const banner = page.getByRole('banner');
  const row = await banner.evaluate((header) => {
    const items = [...header.querySelectorAll('a, button')].filter((el) => (el as HTMLElement).offsetParent !== null);
    const middles = items.map((el) => {
      const r = el.getBoundingClientRect();
      return Math.round(r.top + r.height / 2);
    });
    return {
      spread: Math.max(...middles) - Math.min(...middles),
      overflow: header.scrollWidth - header.clientWidth,
      height: header.getBoundingClientRect().height,
    };
  });
  expect(row.spread, 'header controls on one row').toBeLessThanOrEqual(4);
  expect(row.overflow, 'header wider than the screen').toBeLessThanOrEqual(0);
  expect(row.height).toBeLessThanOrEqual(64);
  // What folded away is in the menu.
  await page.getByRole('button', { name: 'Menu' }).click();
  const menu = page.getByRole('menu');
  await expect(menu.getByRole('menuitem', { name: 'Exports' })).toBeVisible();
  await expect(menu.getByRole('menuitem', { name: 'Sign out' })).toBeVisible();
  await expect(menu).toContainText('Signed in as demo@baton.local');
  await expectAccessible(page, testInfo, 'phone-menu');
  await page.keyboard.press('Escape');
  await snapWidths(page, testInfo, '50-app-shell');
});
