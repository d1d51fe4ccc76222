import { expect, test } from './fixtures';
import { expectAccessible, snapWidths } from './support';

test('new export: a filter matching nothing warns with the closest values; the footer says why Start is off; lanes adjustable', async ({
  page,
}, testInfo) => {
  test.setTimeout(120_000);
  await page.goto('/exports/new');
  await expect(page.getByText(/All [\d,]+ records/)).toBeVisible({ timeout: 30_000 });
  const start = page.getByRole('button', { name: 'Start export' });
  await expect(start).toBeEnabled();
  await expect(page.getByLabel('Lanes').locator('option:checked')).toHaveText(
    /^Automatic \(\d lanes? for this size\)$/,
  );
  await page.getByLabel('Lanes').selectOption('3');

  const filter = page.getByLabel(/Filter/);
  // A typo matches nothing: warned before starting, with what the field really holds.
  await filter.fill('state:=PUBLISHD');
  const warning = page.getByTestId('zero-match');
  await expect(warning).toContainText('This filter matches no records: the export would be empty.');
  const suggestion = warning.getByRole('button', { name: /^PUBLISHED \([\d,]+\)$/ });
  await expect(suggestion).toBeVisible();
  await expectAccessible(page, testInfo, 'new-export-zero-match');
  await snapWidths(page, testInfo, '33-new-export-zero-match');
  await suggestion.click();
  await expect(filter).toHaveValue('state:=PUBLISHED');
  await expect(page.getByText(/Valid filter: matches [\d,]+ records/)).toBeVisible();

  // A broken filter: Start is disabled and the footer says why.
  await filter.fill('no_such_field:=1');
  await expect(start).toBeDisabled();
  await expect(page.getByTestId('start-blocked')).toHaveText('Fix the filter above to start.');
  await expect(page.getByText('No estimate while the filter has a problem: fix it above.')).toBeVisible();
  await page.getByRole('button', { name: 'Clear', exact: true }).click();
  await filter.fill('');
  await expect(page.getByTestId('start-blocked')).toHaveText('Choose at least one column.');
  await expect(start).toBeDisabled();
  await expectAccessible(page, testInfo, 'new-export-blocked');
});
