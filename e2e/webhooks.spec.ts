import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { expect, test } from './fixtures';
import { adminUser, demoUser, expectAccessible, signIn, snapWidths, startExport } from './support';

test.use({ storageState: { cookies: [], origins: [] } });

test('an admin adds a webhook endpoint, copies its secret once, and sees the signed delivery in its log; axe-clean light and dark', async ({
  page,
}, testInfo) => {
  test.setTimeout(180_000);
  const received: Array<{ headers: Record<string, string>; body: string }> = [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      received.push({ headers: req.headers as Record<string, string>, body });
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('thanks');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/e2e`;
  try {
    await signIn(page, adminUser);
    await page.goto('/settings/webhooks');
    await expect(page.getByRole('heading', { name: 'Webhooks', level: 1 })).toBeVisible({ timeout: 60_000 });

    // A URL the SSRF rule refuses names why, at the field.
    await page.getByLabel('Endpoint URL').fill('http://169.254.169.254/latest/meta-data');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await expect(page.getByText(/not a public address/)).toBeVisible();

    await page.getByLabel('Endpoint URL').fill(url);
    for (const event of ['export.started', 'export.failed', 'export.cancelled']) {
      await page.getByRole('checkbox', { name: event }).uncheck();
    }
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const dialog = page.getByRole('dialog', { name: /copy its signing secret/ });
    await expect(dialog).toBeVisible();
    const secret = (await dialog.getByTestId('webhook-secret').textContent()) ?? '';
    expect(secret).toMatch(/^whsec_/);
    await expectAccessible(page, testInfo, 'webhook-secret');
    await dialog.getByRole('button', { name: 'Done' }).click();
    await expect(page.getByRole('heading', { name: url, level: 3 })).toBeVisible();

    // An export completes; the receiver gets export.completed, signed with that secret (other specs'
    // exports in the same organisation may arrive too: find this one's).
    const job = await startExport(page, 'landing_pages');
    const verifier = new Webhook(secret);
    const ours = () =>
      received.filter((r) => (verifier.verify(r.body, r.headers) as { data: { id: string } }).data.id === job.id);
    await expect.poll(() => ours().length, { timeout: 120_000 }).toBeGreaterThan(0);
    const messageId = ours()[0]!.headers['webhook-id']!;
    expect(verifier.verify(ours()[0]!.body, ours()[0]!.headers)).toMatchObject({ type: 'export.completed' });

    const endpoint = page.getByRole('article', { name: url });
    const again = endpoint.getByRole('button', { name: `Send again: export.completed ${messageId}` });
    await expect(again).toBeEnabled({ timeout: 20_000 });
    await expect(endpoint.getByText('HTTP 200').first()).toBeVisible();
    await expect(endpoint.getByText('thanks').first()).toBeVisible();
    await again.click();
    await expect.poll(() => ours().length, { timeout: 30_000 }).toBeGreaterThan(1);
    expect(ours()[1]!.headers['webhook-id']).toBe(messageId);

    // The toast fades out over the page: scan the page itself once it has gone.
    await expect(page.getByText('Queued: it is sent again with the same webhook-id')).toHaveCount(0, {
      timeout: 15_000,
    });
    await expectAccessible(page, testInfo, 'webhooks');
    await snapWidths(page, testInfo, '70-webhooks');
    await page.emulateMedia({ colorScheme: 'dark' });
    await expectAccessible(page, testInfo, 'dark-webhooks');
    await snapWidths(page, testInfo, '71-dark-webhooks');
    await page.emulateMedia({ colorScheme: 'light' });

    await endpoint.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Delete endpoint' }).click();
    await expect(page.getByRole('heading', { name: url, level: 3 })).toHaveCount(0);
  } finally {
    receiver.closeAllConnections();
    receiver.close();
  }
});

test('a member reads that webhooks are for admins', async ({ page }) => {
  await signIn(page, demoUser);
  await page.goto('/settings/webhooks');
  await expect(page.getByText('Webhook endpoints are managed by the admins of your organisation.')).toBeVisible({
    timeout: 60_000,
  });
});
