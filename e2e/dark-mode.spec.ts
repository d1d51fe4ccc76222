import { expect, test } from './fixtures';
import { expectAccessible, snapWidths, startExport } from './support';

test.use({ colorScheme: 'dark' });

test('dark mode follows the system setting, and every main screen stays axe-clean in it', async ({
  page,
}, testInfo) => {
  test.setTimeout(180_000);
  await page.goto('/exports');
  await expect(page.getByRole('heading', { name: 'Exports', level: 1 })).toBeVisible();
  // The page itself is dark: the system's preference, no toggle needed.
  const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const [r, g, b] = background.match(/\d+(\.\d+)?/g)!.map(Number);
  expect(r! + g! + b!).toBeLessThan(100);
  await expectAccessible(page, testInfo, 'dark-exports-list');
  await snapWidths(page, testInfo, '40-dark-exports-list');

  await page.goto('/exports/new');
  await expect(page.getByText(/All [\d,]+ records/)).toBeVisible({ timeout: 30_000 });
  await expectAccessible(page, testInfo, 'dark-new-export');
  await snapWidths(page, testInfo, '41-dark-new-export');

  const job = await startExport(page);
  await page.goto(`/exports/${job.id}`);
  await expect(page.getByRole('link', { name: /^Download CSV/ })).toBeVisible({ timeout: 120_000 });
  await expectAccessible(page, testInfo, 'dark-export-completed');
  await snapWidths(page, testInfo, '42-dark-export');
  await page.getByRole('tab', { name: 'Activity' }).click();
  await expectAccessible(page, testInfo, 'dark-activity');
  await page.getByRole('tab', { name: 'Shards' }).click();
  await page.getByRole('button', { name: 'Shard 2: done' }).click();
  await expect(page.getByRole('dialog', { name: 'Shard 2' })).toBeVisible();
  await expectAccessible(page, testInfo, 'dark-shard-inspector');
  await snapWidths(page, testInfo, '43-dark-shard-inspector');
  await page.keyboard.press('Escape');
  await page.getByRole('button', { name: /^Notifications/ }).click();
  await expect(page.getByRole('dialog', { name: 'Notifications' })).toBeVisible();
  await expectAccessible(page, testInfo, 'dark-notifications');
  await snapWidths(page, testInfo, '44-dark-notifications');
});
