import pg from 'pg';
import { expect, test } from './fixtures';
import { e2eDatabaseUrl } from './ports';
import { adminUser, AUTH_FILE, expectAccessible, signIn, snap, snapWidths, startExport } from './support';

// The admin signs in here; the demo member starts the large export in its own context.
test.use({ storageState: { cookies: [], origins: [] } });

const ACME = '0b5e6a9e-0000-4000-a000-000000000001';
const PARTNER = '0b5e6a9e-0000-4000-a000-000000000002';

test('an admin sets retention and an approval threshold, then approves a large export from its page; axe-clean light and dark', async ({
  page,
  newContext,
}, testInfo) => {
  // Its own steps take well under a minute; the first visits of its pages and routes in `next dev` compile
  // them, and axe takes its time on a busy machine.
  test.setTimeout(240_000);
  await signIn(page, adminUser);
  try {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    // Generous: the first visit of a page in `next dev` compiles it.
    await expect(page.getByRole('heading', { name: 'Settings', level: 1 })).toBeVisible({ timeout: 45_000 });
    const retention = page.getByRole('region', { name: 'Retention' });
    await retention.getByLabel('Keep files for (days)').fill('14');
    await retention.getByRole('button', { name: 'Save retention' }).click();
    await expect(page.getByText('Files are now kept 14 days.')).toBeVisible();
    await expect(page.getByRole('region', { name: 'Storage use' })).toContainText(/Export files take/);

    const approvals = page.getByRole('region', { name: 'Large exports' });
    await approvals.getByLabel('Approval needed above (records)').fill('1,000');
    await approvals.getByRole('button', { name: 'Save threshold' }).click();
    await expect(page.getByText('Exports above 1,000 records wait for approval.')).toBeVisible();

    await expectAccessible(page, testInfo, 'settings');
    await snapWidths(page, testInfo, '70-settings');
    await page.emulateMedia({ colorScheme: 'dark' });
    await expectAccessible(page, testInfo, 'dark-settings');
    await snap(page, testInfo, '71-dark-settings');
    await page.emulateMedia({ colorScheme: 'light' });

    // The member's export of every blog post is far above 1,000 records: it waits for an admin.
    const member = await (await newContext({ storageState: AUTH_FILE })).newPage();
    const job = await startExport(member);
    expect(job.approval).toBe('pending');
    await page.goto(`/exports/${job.id}`);
    const banner = page.getByRole('region', { name: 'Approval' });
    await expect(banner).toContainText('Awaiting approval.');
    await expectAccessible(page, testInfo, 'awaiting-approval');
    await snap(page, testInfo, '72-awaiting-approval');
    await banner.getByRole('button', { name: 'Approve' }).click();
    // Generous: the first call of the route in `next dev` compiles it.
    await expect(page.getByText('Approved: the export is starting.')).toBeVisible({ timeout: 45_000 });
    await expect(banner).toHaveCount(0);
    // It left the approval behind: the badge no longer says so (the activity's entries: approvals.test.ts).
    await expect(page.getByText('Awaiting approval', { exact: true })).toHaveCount(0);
  } finally {
    // The demo organisation as the other specs expect it.
    const reset = await page.request.put(`/api/organisations/${ACME}/settings`, {
      data: { retentionDays: 30, approvalThreshold: null },
    });
    expect(reset.status(), await reset.text()).toBe(200);
  }
});

test('an admin of two organisations picks whose settings to manage, and every tab keeps the choice', async ({
  page,
}, testInfo) => {
  // The demo admin also administers the partner agency for this test only.
  const db = new pg.Pool({ connectionString: e2eDatabaseUrl });
  const grant = (sql: string) =>
    db.query(sql.replace('$user', '(select id from auth.users where email = $1)'), [adminUser.email, PARTNER]);
  await grant(`insert into public.memberships (organisation_id, user_id, role) values ($2, $user, 'admin')`);
  try {
    await signIn(page, adminUser);
    await page.goto('/settings');
    // The first by name, as before there was a choice.
    const menu = page.getByRole('button', { name: 'Organisation: Acme Digital Agency' });
    await expect(menu).toBeVisible();
    await menu.click();
    await expectAccessible(page, testInfo, 'settings-organisations');
    await page.getByRole('menuitem', { name: 'Partner Agency' }).click();
    await expect(page).toHaveURL(`/settings?org=${PARTNER}`);
    await expect(page.locator('main p', { hasText: /^Partner Agency$/ })).toBeVisible();
    await expect(page.getByRole('region', { name: 'Retention' }).getByLabel('Keep files for (days)')).toHaveValue('30');
    await snapWidths(page, testInfo, '75-settings-second-organisation');

    for (const [tab, path] of [
      ['Webhooks', '/settings/webhooks'],
      ['API tokens', '/settings/api-tokens'],
    ] as const) {
      await page.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: tab }).click();
      await expect(page).toHaveURL(`${path}?org=${PARTNER}`);
      await expect(page.getByRole('button', { name: 'Organisation: Partner Agency' })).toBeVisible();
    }
  } finally {
    await grant(`delete from public.memberships where organisation_id = $2 and user_id = $user`);
    await db.end();
  }
});
