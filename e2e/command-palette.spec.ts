import { expect, test } from './fixtures';
import {
  clearFaults,
  expectAccessible,
  getManifest,
  setFaults,
  SLOW_PAGE_MS,
  snapWidths,
  startExport,
} from './support';

test.afterEach(async ({ request }) => {
  await clearFaults(request);
});

test('the command palette and the shortcuts dialog: keyboard only, light and dark, never while typing', async ({
  page,
}, testInfo) => {
  // One export at least, so the list (and the palette's recent exports) has rows.
  await startExport(page, 'site_pages');
  await page.goto('/exports');
  // Rows come from the browser's query: the page has hydrated and its keys are listened to.
  await expect(page.getByRole('table').locator('a[data-row-link]').first()).toBeVisible({ timeout: 60_000 });
  const palette = page.getByRole('dialog', { name: 'Command palette' });
  const shortcuts = page.getByRole('dialog', { name: 'Keyboard shortcuts' });

  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    await page.keyboard.press('ControlOrMeta+K');
    await expect(palette.getByRole('combobox')).toBeFocused();
    await expect(palette.getByRole('option', { name: 'Start a new export' })).toBeVisible();
    await expectAccessible(page, testInfo, `command-palette-${colorScheme}`);
    await snapWidths(page, testInfo, `51-command-palette-${colorScheme}`);
    // `?` typed in the palette is text: the shortcuts dialog stays shut.
    await page.keyboard.type('?');
    await expect(palette.getByRole('combobox')).toHaveValue('?');
    await expect(shortcuts).toHaveCount(0);
    await page.keyboard.press('Escape');
    await expect(palette).toHaveCount(0);

    await page.keyboard.press('?');
    await expect(shortcuts).toBeVisible();
    // One catalog: the list's keys, the shard map's and the palette's own, listed page by page.
    for (const section of ['Everywhere', 'Exports list', 'Export page: shard map']) {
      await expect(shortcuts.getByRole('region', { name: section })).toBeVisible();
    }
    await expect(shortcuts.getByRole('region', { name: 'Exports list' })).toContainText('Next export');
    await expect(shortcuts.getByRole('region', { name: 'Export page: shard map' })).toContainText(
      'One screen of rows down',
    );
    await expectAccessible(page, testInfo, `shortcuts-${colorScheme}`);
    await snapWidths(page, testInfo, `52-shortcuts-${colorScheme}`);
    await page.keyboard.press('Escape');
    await expect(shortcuts).toHaveCount(0);
  }
  await page.emulateMedia({ colorScheme: 'light' });

  // Typing in the list's search: `?`, `j` and `/` are text there.
  await page.keyboard.press('/');
  const search = page.getByRole('searchbox', { name: /Search exports/ });
  await expect(search).toBeFocused();
  await page.keyboard.type('?j/');
  await expect(search).toHaveValue('?j/');
  await expect(shortcuts).toHaveCount(0);
});

test('the palette finds an export by name or id and runs the export page’s go to shard, cancel, download and retry', async ({
  page,
  request,
}) => {
  test.setTimeout(360_000);
  // A finished export for download and retry, written before the source is slowed down.
  const finished = await startExport(page, 'site_pages');
  await expect
    .poll(async () => (await getManifest(page, finished.id)).job.status, { timeout: 180_000 })
    .toBe('completed');
  const job = await startExport(page);
  // Then 7 s a source page (80 pages: 9 minutes or more): the export still runs when its cancel is
  // tried, however busy the machine. Set after the start, whose own searches it would slow.
  await setFaults(request, { typesense: { latencyMs: SLOW_PAGE_MS } });
  const name = `Palette target ${Date.now().toString(36)}`;
  expect((await page.request.patch(`/api/exports/${job.id}`, { data: { name } })).status()).toBe(200);

  await page.goto('/exports');
  await expect(page.getByRole('table').locator('a[data-row-link]').first()).toBeVisible({ timeout: 60_000 });
  const palette = page.getByRole('dialog', { name: 'Command palette' });
  await page.keyboard.press('ControlOrMeta+K');
  await page.keyboard.type(name);
  await expect(palette.getByRole('option', { name: new RegExp(name) })).toBeVisible();
  await page.keyboard.press('Escape');
  // By id: what support pastes from a ticket.
  await page.keyboard.press('ControlOrMeta+K');
  await page.keyboard.type(job.id);
  await expect(palette.getByRole('option', { name: new RegExp(name) })).toBeVisible();
  await page.keyboard.press('Enter');
  await page.waitForURL(`**/exports/${job.id}`);
  await expect(page.getByRole('heading', { name, level: 1 })).toBeVisible({ timeout: 60_000 });

  // Cancel goes through the page's own confirmation, which hands focus back to the page's button.
  await expect(page.getByTestId('run-length-summary')).toContainText(/\d/, { timeout: 60_000 });
  await expect(page.getByRole('button', { name: 'Cancel export' })).toBeVisible();
  await page.keyboard.press('ControlOrMeta+K');
  await page.keyboard.type('cancel');
  await page.keyboard.press('Enter');
  const confirm = page.getByRole('alertdialog', { name: 'Cancel this export?' });
  await expect(confirm).toBeVisible();
  await confirm.getByRole('button', { name: 'Keep running' }).click();
  await expect(page.getByRole('button', { name: 'Cancel export' })).toBeFocused();

  // Go to shard N opens the shard's panel.
  await page.keyboard.press('ControlOrMeta+K');
  await page.keyboard.type('shard 2');
  await expect(palette.getByRole('option', { name: 'Go to shard 2' })).toBeVisible();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('dialog', { name: 'Shard 2' })).toBeVisible();
  await expect(page).toHaveURL(/[?&]shard=2\b/);
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog', { name: 'Shard 2' })).toHaveCount(0);

  // A finished export: download and retry appear, cancel does not.
  await page.goto(`/exports/${finished.id}`);
  await expect(page.getByRole('link', { name: /^Download CSV/ })).toBeVisible({ timeout: 60_000 });
  // The page registers its commands once it has hydrated: until then Ctrl+K may find none (or no palette).
  await expect(async () => {
    if (await palette.isVisible()) await page.keyboard.press('Escape');
    await page.keyboard.press('ControlOrMeta+K');
    await expect(palette.getByRole('option', { name: 'Download CSV' })).toBeVisible({ timeout: 2_000 });
  }).toPass({ timeout: 30_000 });
  await expect(palette.getByRole('option', { name: 'Cancel export' })).toHaveCount(0);
  await page.keyboard.type('download');
  const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
  expect(download.suggestedFilename()).toMatch(/\.csv$/);
  await page.keyboard.press('ControlOrMeta+K');
  await page.keyboard.type('verify');
  await expect(palette.getByRole('option', { name: 'Verify & repair' })).toBeVisible();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('alertdialog', { name: 'Retry what is missing' })).toBeVisible();
});
