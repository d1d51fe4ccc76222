import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { expectAccessible, snap, startExport } from './support';

/** The shard map's columns (cells sharing the first cell's row) and its cell count. */
async function mapShape(page: Page) {
  return page.locator('[data-testid="shard-map"]').evaluate((map) => {
    const cells = [...map.querySelectorAll<HTMLElement>('[data-shard]')];
    const top = cells[0]!.style.top;
    return { cols: cells.filter((c) => c.style.top === top).length, count: cells.length };
  });
}

test('a finished export: no "Live", PageDown by a page of rows, a throughput chart with axes and values on hover; light and dark', async ({
  page,
}, testInfo) => {
  test.setTimeout(180_000);
  const job = await startExport(page);
  await page.goto(`/exports/${job.id}`);
  await expect(page.getByRole('link', { name: /^Download CSV/ })).toBeVisible({ timeout: 120_000 });

  // One export, seen in each scheme from a fresh load of its page.
  for (const colorScheme of ['light', 'dark'] as const) {
    await test.step(colorScheme, async () => {
      await page.emulateMedia({ colorScheme });
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.goto(`/exports/${job.id}`);
      await expect(page.getByRole('link', { name: /^Download CSV/ })).toBeVisible();

      // "Live" promises updates: not beside a finished export.
      await expect(page.getByTestId('connection')).toHaveCount(0);
      await expect(page.getByText('Live', { exact: true })).toHaveCount(0);

      // PageDown on a phone-wide map, all of whose rows are in view: to the last row, same column — not to
      // the last shard. PageUp goes back.
      await page.setViewportSize({ width: 390, height: 844 });
      await page.getByRole('button', { name: 'Shard 1: done' }).focus();
      const { cols, count } = await mapShape(page);
      expect(count).toBeGreaterThan(cols * 2);
      const lastRowStart = 1 + cols * Math.floor((count - 1) / cols);
      expect(lastRowStart).not.toBe(count);
      await page.keyboard.press('PageDown');
      await expect(page.getByRole('button', { name: `Shard ${lastRowStart}: done` })).toBeFocused();
      await page.keyboard.press('PageUp');
      await expect(page.getByRole('button', { name: 'Shard 1: done' })).toBeFocused();
      await snap(page, testInfo, `50-${colorScheme}-export-completed-390`);
      await page.setViewportSize({ width: 1280, height: 900 });
      await snap(page, testInfo, `50-${colorScheme}-export-completed-1280`);

      // The chart: both axes say their unit; hovering a point gives each lane's value there.
      await page.getByRole('tab', { name: 'Activity' }).click();
      const chart = page.locator('[data-slot="chart"]');
      await expect(chart.getByText('records/s', { exact: true })).toBeVisible();
      await expect(chart.getByText('time since the start')).toBeVisible();
      // Tick values on both axes: "0 s … 55 s" along, "0 … 1,000" up.
      await expect(chart.locator('.recharts-cartesian-axis-tick-value').getByText(/^0 s$/)).toBeVisible();
      await expect(chart.locator('.recharts-cartesian-axis-tick-value').getByText(/^0$/)).toBeVisible();
      await chart.locator('.recharts-surface').hover();
      const tooltip = chart.locator('.recharts-tooltip-wrapper');
      await expect(tooltip).toContainText(/after the start/);
      await expect(tooltip).toContainText(/Lane 1[\d,]+ records\/s/);
      await expectAccessible(page, testInfo, `${colorScheme}-throughput-chart`);
      await snap(page, testInfo, `51-${colorScheme}-throughput-1280`);
      await page.setViewportSize({ width: 390, height: 844 });
      await page.mouse.move(0, 0);
      await expect(tooltip).not.toContainText(/after the start/);
      await chart.locator('.recharts-surface').hover();
      await expect(tooltip).toContainText(/after the start/);
      await snap(page, testInfo, `51-${colorScheme}-throughput-390`);
    });
  }
});
