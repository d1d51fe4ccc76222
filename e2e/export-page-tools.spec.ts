import { expect, test } from './fixtures';
import { expectAccessible, readClipboard, snapWidths, startExport } from './support';

test('support tools: copyable id and link, "Go to shard #", focus back on the shard, rename in place', async ({
  page,
  context,
}, testInfo) => {
  test.setTimeout(180_000);
  await context.grantPermissions(['clipboard-write']);
  const job = await startExport(page);
  await page.goto(`/exports/${job.id}`);
  await expect(page.getByRole('link', { name: /^Download CSV/ })).toBeVisible({ timeout: 120_000 });

  // The id is on the page and both it and the link copy with one click.
  await expect(page.getByTestId('export-id')).toHaveText(job.id);
  await page.getByRole('button', { name: 'Copy id' }).click();
  expect(await readClipboard(context)).toBe(job.id);
  await page.getByRole('button', { name: 'Copy link' }).first().click();
  expect(await readClipboard(context)).toBe(new URL(`/exports/${job.id}`, page.url()).href);

  // "Go to shard #": checked, then opens the shard; closing it puts focus back on its cell in the map.
  const goTo = page.getByLabel('Go to shard');
  await goTo.fill('0');
  await page.getByRole('button', { name: 'Go', exact: true }).click();
  await expect(page.getByText(/Enter a shard number from 1 to [\d,]+\./)).toBeVisible();
  await goTo.fill('42');
  await page.getByRole('button', { name: 'Go', exact: true }).click();
  const inspector = page.getByRole('dialog', { name: 'Shard 42' });
  await expect(inspector).toBeVisible();
  await expect(page).toHaveURL(/[?&]shard=42\b/);
  await page.keyboard.press('Escape');
  await expect(inspector).toBeHidden();
  await expect(page.getByRole('button', { name: 'Shard 42: done' })).toBeFocused();
  // The map's keys move from there (one cell; PageDown's page size is unit-tested).
  await page.keyboard.press('ArrowRight');
  await expect(page.getByRole('button', { name: 'Shard 43: done' })).toBeFocused();

  // Rename in place; an empty name is refused with a reason; focus returns to the pencil.
  await page.getByRole('button', { name: 'Rename export' }).click();
  const field = page.getByLabel('Export name');
  await field.fill('   ');
  await field.press('Enter');
  await expect(page.getByText('Give the export a name.')).toBeVisible();
  await expectAccessible(page, testInfo, 'rename');
  await field.fill('Q4 blog audit');
  await field.press('Enter');
  await expect(page.getByRole('heading', { level: 1, name: 'Q4 blog audit' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Rename export' })).toBeFocused();
  await expectAccessible(page, testInfo, 'export-page-tools');
  await snapWidths(page, testInfo, '28-export-page-tools');

  // The retry preview names what it will do, as ranges.
  await page.getByRole('tab', { name: 'Support' }).click();
  await page.getByLabel(/Shards to re-run/).fill('7, 2, 5-6');
  await page.getByRole('button', { name: /^Re-run selected/ }).click();
  const dialog = page.getByRole('alertdialog', { name: /^Re-run 4 selected shards$/ });
  await expect(dialog.getByText('This will re-run shards 2 and 5–7 (1,000 records).')).toBeVisible({
    timeout: 10_000,
  });
  await expectAccessible(page, testInfo, 'retry-preview-ranges');
  await snapWidths(page, testInfo, '32-retry-preview');
  await dialog.getByRole('button', { name: 'Close' }).click();
});
