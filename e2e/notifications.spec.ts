import type { Locator, Page, Route, TestInfo, WebSocketRoute } from '@playwright/test';
import { expect, test } from './fixtures';
import {
  clearFaults,
  expectAccessible,
  getManifest,
  setFaults,
  skipRetryBackoff,
  snap,
  snapWidths,
  startExport,
} from './support';

type Box = { x: number; y: number; width: number; height: number } | null;

const boxesMeet = (x: Box, y: Box) =>
  !!x && !!y && x.x < y.x + y.width && y.x < x.x + x.width && x.y < y.y + y.height && y.y < x.y + x.height;

/** Whether a toast's box meets a control's; the control is measured first, the toast last. */
const overlaps = async (toast: Locator, control: Locator) => {
  const box = await control.boundingBox();
  return boxesMeet(await toast.boundingBox(), box);
};

/** What the eye sees now, toasts where they float (a full-page shot would move them). */
const snapViewport = (page: Page, testInfo: TestInfo, name: string) => snap(page, testInfo, name, { fullPage: false });

const bellOf = (page: Page) => page.getByRole('button', { name: /^Notifications/ });

/** Start from a clean bell: whatever earlier tests left is marked read by opening the panel once. */
async function readEverything(page: Page) {
  const bell = bellOf(page);
  await bell.click();
  await expect(bell).toHaveAccessibleName('Notifications', { timeout: 10_000 });
  await page.keyboard.press('Escape');
}

// Faults are global to the devstack: never leave one behind for the next test.
test.afterEach(async ({ request }) => {
  await clearFaults(request);
});

test('notifications name the export, format numbers, mark themselves read when seen, pass axe; toasts clear the primary controls', async ({
  page,
}, testInfo) => {
  test.setTimeout(300_000);
  await page.goto('/exports');
  await readEverything(page);
  const bell = bellOf(page);

  const job = await startExport(page);
  const shortId = job.id.slice(0, 8);
  // Waiting on a phone at the end of the new-export form: the toast must leave "Start export" usable.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto('/exports/new');
  const start = page.getByRole('button', { name: 'Start export' });
  await expect(page.getByText(/All [\d,]+ records/)).toBeVisible({ timeout: 30_000 });
  const toEnd = () => page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
  await toEnd();
  // The in-session toast says which export, with numbers people read.
  const toast = page.locator('[data-sonner-toast]', { hasText: `Export completed: ${job.name}` });
  await expect(toast).toBeVisible({ timeout: 120_000 });
  await expect(toast).toContainText(/20,000 rows in 80 shards \(CSV\)\. Export [0-9a-f]{8}\./);
  await expect(toast).toContainText(`Export ${shortId}.`);
  await toEnd();
  await expect(start).toBeInViewport();
  expect(await overlaps(toast, start), 'toast over Start export at 390px').toBe(false);
  await snapViewport(page, testInfo, '29-toast-new-export-390');
  await page.setViewportSize({ width: 1280, height: 900 });
  await toEnd();
  await expect(toast).toBeVisible();
  expect(await overlaps(toast, start), 'toast over Start export at 1280px').toBe(false);
  await snapViewport(page, testInfo, '29-toast-new-export-1280');
  await expect(bell).toHaveAccessibleName('Notifications, 1 export unread');

  // Opening the bell shows it as new; a moment later it is read (the badge goes), still shown as new.
  await bell.click();
  const panel = page.getByRole('dialog', { name: 'Notifications' });
  const item = panel.getByRole('link', { name: new RegExp(`Export completed: .*Export ${shortId}`) });
  await expect(item).toBeVisible();
  await expect(item).toContainText('(new)');
  await expect(panel).toContainText('One entry per export, latest outcome first · 1 export unread');
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
    const verify = page.getByRole('button', { name: 'Verify & repair' });
    await expect(verify).toBeVisible();
    // The controls first: the copy toast lasts 4 s, so its box is read once, as soon as it shows.
    const controls = { Download: await download.boundingBox(), 'Verify & repair': await verify.boundingBox() };
    // A toast of our own making at the same spot as any other.
    await page.getByRole('button', { name: 'Copy id' }).click();
    const copied = page.locator('[data-sonner-toast]').first();
    await expect(copied).toBeVisible();
    const toastBox = await copied.boundingBox();
    for (const [name, box] of Object.entries(controls))
      expect(boxesMeet(toastBox, box), `toast over ${name} at ${width}px`).toBe(false);
  }
});

test('a read sticks: a list read that crosses the write does not bring the badge back, and the other tab follows', async ({
  page,
  context,
}) => {
  test.setTimeout(180_000);
  // Realtime through a proxy the test can cut: the client then rejoins and reads the list afresh, as it
  // does after any drop of the connection.
  let socket: WebSocketRoute | null = null;
  await page.routeWebSocket(/\/realtime\/v1\/websocket/, (ws) => {
    socket = ws;
    ws.connectToServer();
  });
  // Once `holding`, the bell's write of read_at is held until the test lets it go.
  let holding = false;
  let patchArrived!: (route: Route) => void;
  const heldPatch = new Promise<Route>((resolve) => (patchArrived = resolve));
  await page.route(/\/rest\/v1\/notifications/, async (route) => {
    if (holding && route.request().method() === 'PATCH') patchArrived(route);
    else await route.fallback();
  });
  await page.goto('/exports');
  await readEverything(page);
  const other = await context.newPage();
  await other.goto('/exports');
  const [bell, otherBell] = [bellOf(page), bellOf(other)];
  await expect(otherBell).toHaveAccessibleName('Notifications');

  const job = await startExport(page);
  await expect(page.locator('[data-sonner-toast]', { hasText: `Export completed: ${job.name}` })).toBeVisible({
    timeout: 120_000,
  });
  await expect(bell).toHaveAccessibleName(/unread/);
  await expect(otherBell).toHaveAccessibleName(/unread/);

  holding = true;
  await bell.click();
  const patch = await heldPatch;
  const reread = page.waitForResponse(
    (r) => r.url().includes('/rest/v1/notifications') && r.request().method() === 'GET',
  );
  await socket!.close();
  // The list read answers while the write is still held: the row is unread in the database.
  await reread;
  await expect(bell).toHaveAccessibleName('Notifications');
  await patch.continue();
  await expect(bell).toHaveAccessibleName('Notifications');
  await expect(otherBell).toHaveAccessibleName('Notifications');
  await page.keyboard.press('Escape');
  await page.reload();
  await expect(bellOf(page)).toHaveAccessibleName('Notifications');
});

test('a failure reads as a plain sentence in its toast, the bell and the support panel; one bell entry per export', async ({
  page,
  request,
}, testInfo) => {
  test.setTimeout(360_000);
  await page.goto('/exports');
  await readEverything(page);
  // 300 ms a page: the export is still running when its first shard is written; then every write of it fails.
  await setFaults(request, { typesense: { latencyMs: 300 } });
  const job = await startExport(page);
  await expect
    .poll(async () => (await getManifest(page, job.id)).shards.length, { timeout: 60_000 })
    .toBeGreaterThan(0);
  await setFaults(request, { typesense: { latencyMs: 300 }, storage: { errorRate: 1, match: `/${job.id}/` } });

  const failedToast = page.locator('[data-sonner-toast]', { hasText: `Export failed: ${job.name}` });
  const stopSkipping = await skipRetryBackoff(job.id);
  try {
    await expect(failedToast).toBeVisible({ timeout: 180_000 });
  } finally {
    await stopSkipping();
  }
  await expect(failedToast).toContainText(`Couldn't save a shard: storage unavailable. Export ${job.id.slice(0, 8)}.`);
  await expect(failedToast).not.toContainText('Storage is unavailable');

  // Re-run what is missing, without looking: the export now has two unread outcomes.
  await clearFaults(request);
  const retry = await page.request.post(`/api/exports/${job.id}/retry`, { data: {} });
  expect(retry.status(), await retry.text()).toBe(202);
  await expect(page.locator('[data-sonner-toast]', { hasText: `Export completed: ${job.name}` })).toBeVisible({
    timeout: 120_000,
  });

  // The bell counts exports, as it lists them: one entry for this one, its latest outcome first.
  const bell = bellOf(page);
  await expect(bell).toHaveAccessibleName('Notifications, 1 export unread');
  await bell.click();
  const panel = page.getByRole('dialog', { name: 'Notifications' });
  await expect(panel.locator(`a[href="/exports/${job.id}"]`)).toHaveCount(1);
  const entry = panel.getByRole('listitem').filter({ has: page.locator(`a[href="/exports/${job.id}"]`) });
  await expect(entry.getByRole('link')).toContainText(`Export completed: ${job.name}`);
  await entry.getByText('1 earlier').click();
  const earlier = entry.getByRole('list', { name: 'Earlier outcomes of this export' });
  await expect(earlier).toContainText('Failed · run 1');
  await expect(earlier).toContainText("Couldn't save a shard: storage unavailable.");
  // The raw error is one click away.
  const raw = earlier.getByText(/Storage is unavailable/);
  await expect(raw).toBeHidden();
  await earlier.getByText('Technical details').click();
  await expect(raw).toBeVisible();
  await expectAccessible(page, testInfo, 'notifications-grouped');
  await snapWidths(page, testInfo, '31-notifications-grouped');
  await page.emulateMedia({ colorScheme: 'dark' });
  await expectAccessible(page, testInfo, 'dark-notifications-grouped');
  await snapWidths(page, testInfo, '32-dark-notifications-grouped');
  await page.emulateMedia({ colorScheme: 'light' });
  await page.keyboard.press('Escape');

  // Support reads the same sentence first; the raw text stays one click away.
  await page.goto(`/exports/${job.id}?tab=support`);
  const errors = page.getByRole('list', { name: 'Errors by kind' });
  await expect(errors.getByText("Couldn't save a shard: storage unavailable")).toBeVisible();
  const rawInSupport = errors.getByText(/Storage is unavailable/).first();
  await expect(rawInSupport).toBeHidden();
  await errors.getByText('Technical details').first().click();
  await expect(rawInSupport).toBeVisible();
  await expect(page.getByRole('list', { name: 'Invocation timeline' })).toContainText(
    "Couldn't save a shard: storage unavailable",
  );
  await expectAccessible(page, testInfo, 'support-errors');
  await snapWidths(page, testInfo, '33-support-errors');
});
