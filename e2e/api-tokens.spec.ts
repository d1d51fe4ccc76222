import pg from 'pg';
import { createUser } from '../devstack/auth/users';
import { expect, test } from './fixtures';
import { demoUser, expectAccessible, signIn, snapWidths } from './support';
import { e2eDatabaseUrl } from './ports';

/**
 * Settings → API tokens: an admin creates a token (shown once), it works against the REST API, and a
 * revoke stops it at once; anyone else is told who can do this. The API reference page beside it.
 */
const admin = { email: 'api-admin@baton.local', password: 'baton-api-admin-password' };

test.use({ storageState: { cookies: [], origins: [] } });

test.beforeAll(async () => {
  // An admin of an organisation of their own, so the demo agencies' members and pages stay as they are.
  const db = new pg.Pool({ connectionString: e2eDatabaseUrl });
  try {
    const existing = await db.query<{ id: string }>('select id from auth.users where email = $1', [admin.email]);
    const userId = existing.rows[0]?.id ?? (await createUser(db, admin)).id;
    const org = await db.query<{ id: string }>(
      `insert into public.organisations (id, name) values ('0b5e6a9e-0000-4000-a000-0000000000a1', 'Automation Agency')
       on conflict (id) do update set name = excluded.name returning id`,
    );
    await db.query(
      `insert into public.memberships (organisation_id, user_id, role) values ($1, $2, 'admin')
       on conflict (organisation_id, user_id) do update set role = 'admin'`,
      [org.rows[0]!.id, userId],
    );
    await db.query('delete from public.api_tokens where organisation_id = $1', [org.rows[0]!.id]);
  } finally {
    await db.end();
  }
});

test('an admin creates a token shown once, the API accepts it, and a revoke stops it at once; axe-clean light and dark', async ({
  page,
}, testInfo) => {
  test.setTimeout(180_000);
  await signIn(page, admin);
  await page.goto('/settings/api-tokens');
  await expect(page.getByRole('heading', { name: 'API tokens', level: 1 })).toBeVisible({ timeout: 60_000 });
  await expect(page.getByText('No tokens yet.')).toBeVisible();

  await page.getByRole('button', { name: 'New token' }).click();
  const form = page.getByRole('dialog', { name: 'New API token' });
  await form.getByRole('button', { name: 'Create token' }).click();
  await expect(form.getByText('Name the token after the script or system that will use it.')).toBeVisible();
  await form.getByLabel('Name').fill('Nightly warehouse sync');
  await expectAccessible(page, testInfo, 'api-token-form');
  await form.getByRole('button', { name: 'Create token' }).click();

  const shown = page.getByRole('dialog', { name: 'Copy your new token now' });
  const secret = (await shown.getByLabel('API token').textContent()) ?? '';
  expect(secret).toMatch(/^baton_pat_[0-9A-Za-z]{32}$/);
  await expectAccessible(page, testInfo, 'api-token-secret');
  await snapWidths(page, testInfo, '70-api-token-secret');
  await shown.getByRole('button', { name: 'Done' }).click();

  const tokens = page.getByRole('list', { name: 'API tokens' });
  await expect(tokens.getByRole('listitem')).toHaveCount(1);
  await expect(tokens).toContainText('Nightly warehouse sync');
  await expect(tokens).toContainText(secret.slice(0, 16));
  await expect(tokens).toContainText('last used never');

  const api = () => page.request.get('/api/v1/exports', { headers: { authorization: `Bearer ${secret}` } });
  expect((await api()).status()).toBe(200);
  await page.reload();
  await expect(tokens).not.toContainText('last used never');

  await expectAccessible(page, testInfo, 'api-tokens');
  await snapWidths(page, testInfo, '71-api-tokens');
  await page.emulateMedia({ colorScheme: 'dark' });
  await expectAccessible(page, testInfo, 'dark-api-tokens');
  await snapWidths(page, testInfo, '72-dark-api-tokens');
  await page.emulateMedia({ colorScheme: 'light' });

  await tokens.getByRole('button', { name: 'Revoke Nightly warehouse sync' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Revoke token' }).click();
  await expect(tokens).toContainText('Revoked');
  const refused = await api();
  expect(refused.status()).toBe(401);
  expect(refused.headers()['content-type']).toBe('application/problem+json');
  expect(((await refused.json()) as { detail: string }).detail).toContain('"Nightly warehouse sync" was revoked');
});

test('someone who is not an admin reads who can manage tokens', async ({ page }) => {
  await signIn(page, demoUser);
  await page.goto('/settings/api-tokens');
  await expect(page.getByText('Only admins of your organisation can create and revoke API tokens.')).toBeVisible({
    timeout: 60_000,
  });
  await expect(page.getByRole('button', { name: 'New token' })).toHaveCount(0);
});

test('the API reference lists every operation and problem type; axe-clean light and dark', async ({
  page,
}, testInfo) => {
  test.setTimeout(120_000);
  await signIn(page, demoUser);
  await page.goto('/docs/api');
  await expect(page.getByRole('heading', { name: 'REST API v1', level: 1 })).toBeVisible({ timeout: 60_000 });
  await expect(page.getByRole('heading', { name: 'Start an export', level: 3 })).toBeVisible();
  await expect(page.locator('#problem-too_many_requests')).toContainText('Too many requests');
  await expectAccessible(page, testInfo, 'api-docs');
  await snapWidths(page, testInfo, '73-api-docs');
  await page.emulateMedia({ colorScheme: 'dark' });
  await expectAccessible(page, testInfo, 'dark-api-docs');
  await snapWidths(page, testInfo, '74-dark-api-docs');
});
