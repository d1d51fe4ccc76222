import type { Locator } from '@playwright/test';
import { expect, test } from './fixtures';
import { expectAccessible, snapWidths, startExport } from './support';

const overlaps = async (a: Locator, b: Locator) => {
  const [x, y] = [await a.boundingBox(), await b.boundingBox()];
  if (!x || !y) return false;
  return x.x < y.x + y.width && y.x < x.x + x.width && x.y < y.y + y.height && y.y < x.y + x.height;
};

test('notifications name the export, format numbers, mark themselves read when seen, pass axe; toasts clear the primary button', async ({
  page,
}, testInfo) => {
  test.setTimeout(180_000);
  await page.goto('/exports');
  // Start from a clean bell: whatever earlier tests left is marked read by opening the panel once.
  const bell = page.getByRole('button', { name: /^Notifications/ });
  await bell.click();
  await expect(bell).toHaveAccessibleName('Notifications', { timeout: 10_000 });
  await page.keyboard.press('Escape');

  const job = await startExport(page);
  const shortId = job.id.slice(0, 8);
  // The in-session toast says which export, with numbers people read.
  const toast = page.locator('[data-sonner-toast]', { hasText: `Export completed: ${job.name}` });
  await expect(toast).toBeVisible({ timeout: 120_000 });
  await expect(toast).toContainText(/20,000 rows in 80 shards \(CSV\)\. Export [0-9a-f]{8}\./);
  await expect(toast).toContainText(`Export ${shortId}.`);
  expect(await overlaps(toast, page.getByRole('link', { name: 'New export' }).last())).toBe(false);
  await expect(bell).toHaveAccessibleName('Notifications, 1 unread');

  // Opening the bell shows it as new; a moment later it is read (the badge goes), still shown as new.
  await bell.click();
  const panel = page.getByRole('dialog', { name: 'Notifications' });
  const item = panel.getByRole('link', { name: new RegExp(`Export completed: .*Export ${shortId}`) });
  await expect(item).toBeVisible();
  await expect(item).toContainText('(new)');
  await expectAccessible(page, testInfo, 'notifications-open');
  await snapWidths(page, testInfo, '30-notifications');
  await expect(bell).toHaveAccessibleName('Notifications', { timeout: 5_000 });
  await page.keyboard.press('Escape');

  // On the export page, the toast keeps clear of its primary actions at every width.
  for (const width of [390, 1280, 1920]) {
    await page.setViewportSize({ width, height: 900 });
    await page.goto(`/exports/${job.id}`);
    const download = page.getByRole('link', { name: /^Download CSV/ });
    await expect(download).toBeVisible();
    await page.evaluate(() => window.scrollTo(0, 0));
    // A toast of our own making at the same spot as any other.
    await page.getByRole('button', { name: 'Copy id' }).click();
    const copied = page.locator('[data-sonner-toast]').first();
    await expect(copied).toBeVisible();
    expect(await overlaps(copied, download), `toast over Download at ${width}px`).toBe(false);
    expect(await overlaps(copied, page.getByRole('button', { name: 'Verify & repair' })), `at ${width}px`).toBe(false);
  }
});
