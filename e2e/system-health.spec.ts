import { expect, test } from './fixtures';
import {
  AUTH_FILE,
  clearFaults,
  expectAccessible,
  getManifest,
  setFaults,
  signIn,
  snapWidths,
  startExport,
  supportUser,
  viewerUser,
} from './support';

// Support signs in here; the demo member and the viewer come in their own contexts.
test.use({ storageState: { cookies: [], origins: [] } });

test.afterEach(async ({ request }) => {
  await clearFaults(request);
});

test('support sees system health live, each figure linking to the exports behind it; axe-clean light and dark', async ({
  page,
  request,
}, testInfo) => {
  test.setTimeout(180_000);
  await signIn(page, supportUser);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'System' }).click();
  // Generous: the machine running the tests may be busy.
  await expect(page.getByRole('heading', { name: 'System health', level: 1 })).toBeVisible({ timeout: 60_000 });
  const acme = page.getByRole('region', { name: 'Acme Digital Agency' });
  await expect(acme).toBeVisible();
  await expect(page.getByRole('region', { name: 'Partner Agency' })).toHaveCount(0);
  const updated = await page.getByTestId('health-updated').textContent();

  // A slow export with a failing storage write: its lanes run, and a failed attempt shows up, without a reload.
  await setFaults(request, { typesense: { latencyMs: 300 } });
  const job = await startExport(page);
  await setFaults(request, { storage: { failNext: 1, match: `/${job.id}/` } });
  const running = acme.getByRole('listitem').filter({ has: page.getByRole('heading', { name: 'Running lanes' }) });
  await expect(running.getByRole('progressbar')).not.toHaveAttribute('aria-valuenow', '0', { timeout: 30_000 });
  const errors = acme.getByRole('listitem').filter({ has: page.getByRole('heading', { name: 'Errors, last hour' }) });
  await expect(errors.getByRole('link', { name: job.name })).toBeVisible({ timeout: 60_000 });
  await expect(errors).toContainText(/\d+ × storage unavailable/);
  await expect(page.getByTestId('health-updated')).not.toHaveText(updated ?? '');

  await expectAccessible(page, testInfo, 'system-health');
  await snapWidths(page, testInfo, '60-system-health');
  await page.emulateMedia({ colorScheme: 'dark' });
  await expectAccessible(page, testInfo, 'dark-system-health');
  await snapWidths(page, testInfo, '61-dark-system-health');
  await page.emulateMedia({ colorScheme: 'light' });

  // The figures lead to the exports behind them: the running ones, and the failures of the export with errors.
  await running.getByRole('link', { name: /running export/ }).click();
  await expect(page).toHaveURL(/\/exports\?status=running$/);
  await expect(page.getByRole('link', { name: new RegExp(`^${job.name}`) })).toBeVisible();
  await page.goBack();
  await errors.getByRole('link', { name: job.name }).click();
  await expect(page).toHaveURL(new RegExp(`/exports/${job.id}\\?tab=activity&kind=failures$`));
  await expect(page.getByLabel('Kind', { exact: true })).toHaveValue('failures');
  await expect(
    page.getByRole('list', { name: 'Activity timeline' }).getByText(/couldn't save its shard \d+: storage unavailable/),
  ).toBeVisible();
  await clearFaults(request);
  await expect.poll(async () => (await getManifest(page, job.id)).job.status, { timeout: 90_000 }).toBe('completed');
});

test('a member or a viewer is not offered system health: no link, a page that says why, 403 from the API', async ({
  newContext,
  page,
}, testInfo) => {
  const member = await (await newContext({ storageState: AUTH_FILE })).newPage();
  await signIn(page, viewerUser);
  for (const [who, role] of [
    [member, 'member'],
    [page, 'viewer'],
  ] as const) {
    await who.goto('/exports');
    await expect(who.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Exports' })).toBeVisible();
    await expect(who.getByRole('link', { name: 'System' })).toHaveCount(0);
    await who.goto('/system');
    await expect(who.getByRole('heading', { name: 'System health', level: 1 })).toBeVisible();
    await expect(
      who.getByText(
        `System health is for the support and admin roles; your role is ${role}. Ask an admin of your organisation if you need it.`,
      ),
    ).toBeVisible();
    await expect(who.getByRole('region', { name: 'Acme Digital Agency' })).toHaveCount(0);
    const api = await who.request.get('/api/system/health');
    expect(api.status()).toBe(403);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe('forbidden');
  }
  await expectAccessible(page, testInfo, 'system-health-refused');
});
