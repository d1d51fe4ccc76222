import { expect, test } from './fixtures';
import {
  clearFaults,
  expectAccessible,
  getManifest,
  setFaults,
  snapWidths,
  startExport,
  startSlowedExport,
} from './support';

// Faults are global to the devstack: never leave one behind for the next test.
test.afterEach(async ({ request }) => {
  await clearFaults(request);
});

test('cancel: "Cancelling…" the moment the request commits, then the truth about what was written after it', async ({
  page,
  request,
}, testInfo) => {
  test.setTimeout(180_000);
  // A slow source page holds each lane between shards, so the worker cannot acknowledge at once.
  const job = await startSlowedExport(page, request);
  await page.getByRole('button', { name: 'Cancel export' }).click();
  const confirm = page.getByRole('alertdialog', { name: 'Cancel this export?' });
  const [answer] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith(`/api/exports/${job.id}/cancel`)),
    confirm.getByRole('button', { name: 'Cancel export' }).click(),
  ]);
  const answered = (await answer.json()) as { status: string; cancel_requested_at: string | null };
  expect(answered.cancel_requested_at).not.toBeNull();

  // Within a second of the API's answer the page says what committed — "Cancelling…" while lanes finish
  // their shard, or "Cancelled" when none was writing — and nothing says Running any more.
  const banner = page.getByTestId('cancel-banner');
  await expect(banner).toContainText(answered.status === 'cancelled' ? 'Cancelled —' : 'Cancelling…', {
    timeout: 1_000,
  });
  await expect(page.getByText('Running', { exact: true })).toHaveCount(0, { timeout: 1_000 });
  await expect(banner).toContainText('Cancel requested by you');
  if (answered.status !== 'cancelled') {
    await expect(page.locator('span', { hasText: /^Cancelling…$/ }).first()).toBeVisible();
    await expect(page.getByText('cancelling', { exact: true })).toBeVisible();
  }
  await expectAccessible(page, testInfo, 'cancelling');
  await snapWidths(page, testInfo, '22-cancelling');

  await clearFaults(request);
  await expect(page.getByText(/Cancelled — [\d,]+ shards? \([\d,]+ records\) written\./)).toBeVisible({
    timeout: 30_000,
  });
  await expect(page.getByText(/Cancel requested by you at \d\d:\d\d:\d\d/)).toBeVisible();
  await page.getByRole('tab', { name: 'Activity' }).click();
  const activity = page.getByRole('list', { name: 'Activity timeline' });
  await expect(activity.getByText('Cancel requested by you')).toBeVisible();
  await expect(activity.getByText('Cancelled (run 1): the worker stopped')).toBeVisible();
  await snapWidths(page, testInfo, '23-cancelled-activity');
});

test('a dead connection is not "Live": reconnecting with the age of the last update, stale numbers dimmed, no ETA', async ({
  page,
  request,
}, testInfo) => {
  test.setTimeout(180_000);
  // Realtime through a proxy the test controls: while `deaf`, nothing the server sends reaches the page
  // (the channel still believes it is subscribed, as with a half-dead socket).
  let deaf = false;
  await page.routeWebSocket(/\/realtime\/v1\/websocket/, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((message) => server.send(message));
    server.onMessage((message) => {
      if (!deaf) ws.send(message);
    });
  });
  await setFaults(request, { typesense: { latencyMs: 1_000 } });
  const job = await startExport(page);
  await page.goto(`/exports/${job.id}`);
  const connection = page.getByTestId('connection');
  await expect(connection).toHaveAttribute('data-connection', 'live', { timeout: 30_000 });
  await expect(page.locator('[data-state="done"]').first()).toBeVisible({ timeout: 30_000 });

  // The browser going offline is said at once, whatever the channel believes.
  await page.context().setOffline(true);
  await expect(connection).toContainText('Reconnecting… (you are offline)');
  await expect(page.locator('[data-stale="true"]').first()).toBeVisible();
  await page.context().setOffline(false);
  await expect(connection).toHaveAttribute('data-connection', 'live', { timeout: 60_000 });

  deaf = true;
  await expect(connection).toHaveAttribute('data-connection', 'reconnecting', { timeout: 25_000 });
  await expect(connection).toContainText(/Reconnecting….*last update \d+ s ago$/);
  await expect(page.locator('[data-stale="true"]').first()).toBeVisible();
  await expect(page.getByText('paused: no live updates')).toBeVisible();
  await expectAccessible(page, testInfo, 'reconnecting');
  await snapWidths(page, testInfo, '24-reconnecting');

  deaf = false;
  await expect(connection).toHaveAttribute('data-connection', 'live', { timeout: 60_000 });
  await expect(page.locator('[data-stale="true"]')).toHaveCount(0);
});

test('the time left survives a reload: the rate comes from the server’s record of shards', async ({
  page,
  request,
}, testInfo) => {
  test.setTimeout(240_000);
  // 80 pages at 1 s+ each: the export runs for at least 80 s whatever the machine's speed (the worker
  // fetches the next page while it writes the last, so the source's latency sets the pace), which leaves
  // time for the rate to settle before the reload and for the export to still be running after it.
  await setFaults(request, { typesense: { latencyMs: 1_000 } });
  const job = await startExport(page);
  await page.goto(`/exports/${job.id}`);
  await expect
    .poll(async () => (await getManifest(page, job.id)).shards.length, { timeout: 60_000 })
    .toBeGreaterThanOrEqual(15);
  // The estimate shows once the rate has settled (5 samples over 10 s): on a busy machine that can take
  // a while, so wait for it here, then prove the reload keeps it.
  await expect(page.getByText('estimated range')).toBeVisible({ timeout: 60_000 });
  // Once the old document is gone (commit), every manifest response belongs to the reloaded page.
  await page.reload({ waitUntil: 'commit' });
  const manifestResponse = await page.waitForResponse(
    (r) => r.url().endsWith(`/api/exports/${job.id}/shards`) && r.ok(),
    { timeout: 30_000 },
  );
  const { job: afterReload } = (await manifestResponse.json()) as { job: { status: string } };
  expect(afterReload.status, 'the export must still be running after the reload for an ETA to mean anything').toBe(
    'running',
  );
  // No waiting for fresh samples: the live samples need 10 s to settle, the manifest's are there at once.
  await expect(page.getByText('estimated range')).toBeVisible({ timeout: 5_000 });
  await expect(page.getByText(/^(about .*|under a minute)$/).first()).toBeVisible();
  await snapWidths(page, testInfo, '31-eta-after-reload');
});

test('a focused shard keeps focus while the filtered map shifts under it', async ({ page, request }) => {
  test.setTimeout(180_000);
  // 1 s a page (80 s or more for the 80 pages) on a phone-wide map (~15 shards a row): rows of pending
  // shards are written one after another while the test watches, however long the page took to load.
  await setFaults(request, { typesense: { latencyMs: 1_000 } });
  await page.setViewportSize({ width: 390, height: 844 });
  const job = await startExport(page);
  await page.goto(`/exports/${job.id}`);
  await expect(page.locator('[data-state="done"]').first()).toBeVisible({ timeout: 60_000 });
  await page.getByRole('button', { name: /^Pending \d+$/ }).click();
  const last = page
    .getByRole('group', { name: /in the chosen states$/ })
    .locator('button[data-shard]')
    .last();
  const lastNo = await last.getAttribute('data-shard');
  await last.focus();

  // Where the focused element sits, in rows (21 px: a cell and its gap) below the filtered map's first
  // cell; null when no shard has focus.
  const focused = () =>
    page.evaluate(() => {
      const el = document.activeElement as HTMLButtonElement | null;
      const first = el?.closest('[role="group"]')?.querySelector('[data-index="0"]');
      if (!el?.dataset.shard || !first) return null;
      const rowsDown = Math.round((el.getBoundingClientRect().top - first.getBoundingClientRect().top) / 21);
      return { shard: el.dataset.shard, tabStop: el.tabIndex === 0, rowsDown };
    });
  const before = await focused();
  expect(before, 'the last pending shard, focused, below the first row').toMatchObject({ shard: lastNo });
  expect(before!.rowsDown).toBeGreaterThan(0);

  // As shards are written they leave the filter from the front, and the focused shard moves up a row: it
  // must be the same button, still focused and still the map's one tab stop.
  await expect
    .poll(focused, { timeout: 60_000 })
    .toEqual({ shard: lastNo, tabStop: true, rowsDown: before!.rowsDown - 1 });
});
