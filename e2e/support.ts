import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import pg from 'pg';
import { expect, type APIRequestContext, type BrowserContext, type Page, type TestInfo } from '@playwright/test';
import type { ExportJob } from '@/lib/exports/types';
import type { ExportSource } from '@/lib/sources/types';
import type { ExportManifest } from '@/lib/queries/export-manifest-query';
import { demoUsers } from '../devstack/demo';
import { e2eDatabaseUrl, e2ePorts } from './ports';

/** Demo sign-ins seeded by the devstack: one source for them, devstack/demo.ts. */
const [demo, partner, viewer, support, admin] = demoUsers;
export const demoUser = { email: demo.email, password: demo.password } as const;
export const partnerUser = { email: partner.email, password: partner.password } as const;
export const viewerUser = { email: viewer.email, password: viewer.password } as const;
export const supportUser = { email: support.email, password: support.password } as const;
export const adminUser = { email: admin.email, password: admin.password } as const;

export const AUTH_FILE = 'test-results/e2e/.auth/demo-user.json';
const faultsUrl = `http://127.0.0.1:${e2ePorts.api}/_devstack/faults`;

export async function signIn(page: Page, user: { email: string; password: string }) {
  await page.goto('/sign-in');
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  // Generous: the machine running the tests may be busy.
  await expect(page.getByRole('heading', { name: 'Exports', level: 1 })).toBeVisible({ timeout: 60_000 });
}

type FaultPatch = Partial<
  Record<
    'typesense' | 'storage',
    Partial<{ latencyMs: number; errorRate: number; timeoutRate: number; failNext: number; match: string }>
  >
>;

/**
 * Devstack fault injection (loopback-only admin API). Setting faults is idempotent, so a request that meets
 * a keep-alive connection just closed by the server (ECONNRESET after ~5 s idle) is sent again.
 */
export async function setFaults(request: APIRequestContext, patch: FaultPatch) {
  const response = await request.put(faultsUrl, { data: patch, maxRetries: 2 });
  expect(response.ok(), await response.text()).toBe(true);
}

export async function clearFaults(request: APIRequestContext) {
  const response = await request.delete(faultsUrl, { maxRetries: 2 });
  expect(response.ok()).toBe(true);
}

/** Starts an export through the API (the form has its own test): returns the queued job. */
export async function startExport(
  page: Page,
  collection = 'blog_posts',
  format: 'csv' | 'ndjson' = 'csv',
  options: { lanes?: number } = {},
): Promise<ExportJob> {
  const sources = (await (await page.request.get('/api/sources')).json()) as ExportSource[];
  const source = sources.find((s) => s.collection === collection);
  expect(source, `source ${collection}`).toBeDefined();
  const response = await page.request.post('/api/exports', { data: { sourceId: source!.id, format, ...options } });
  expect(response.status(), await response.text()).toBe(201);
  return (await response.json()) as ExportJob;
}

/**
 * A source page slow enough to hold a lane in its fetch, and under the worker's 10 s connection timeout
 * (`connectionTimeoutSeconds` in export-worker/index.ts): at 10 s a fetch on a busy machine timed out, the
 * lane waited out its backoff holding no lease, and a cancel was then done at once (200, not 202).
 */
export const SLOW_PAGE_MS = 7_000;

/**
 * Starts an export, opens its page once a shard is written, then slows every source page to 7 s and
 * waits for one shard written after the slowdown: each lane then sits in a slow fetch, so a cancel cannot
 * be acknowledged at once and the "Cancelling…" phase can be seen. The caller clears the faults.
 */
export async function startSlowedExport(page: Page, request: APIRequestContext): Promise<ExportJob> {
  // 300 ms a page: the 80-page export runs 24 s or more, so it is still running when the page has
  // loaded and shown its first shard, however busy the machine.
  await setFaults(request, { typesense: { latencyMs: 300 } });
  const job = await startExport(page);
  await page.goto(`/exports/${job.id}`);
  await expect(page.locator('[data-state="done"]').first()).toBeVisible({ timeout: 30_000 });
  const slowSince = Date.now();
  await setFaults(request, { typesense: { latencyMs: SLOW_PAGE_MS } });
  await expect
    .poll(async () => (await getManifest(page, job.id)).shards.some((s) => Date.parse(s.written_at) > slowSince), {
      timeout: 30_000,
    })
    .toBe(true);
  return job;
}

/**
 * Skips a job's retry backoff (2, 4, 8 and 16 s: half a minute before a fifth attempt): a trigger makes each
 * of its lanes due the moment it is set to retry, and the stack's 2 s sweep starts it. These tests are about
 * what a failing export shows; the backoff itself is the state machine's (export-state-machine.test.ts),
 * which skips it the same way. Returns the stop (drops the trigger); the caller awaits it before the test ends.
 */
export async function skipRetryBackoff(jobId: string): Promise<() => Promise<void>> {
  // The id goes into DDL (a trigger's condition takes no parameters): only a uuid gets there.
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(jobId))
    throw new Error(`not a job id: ${jobId}`);
  const name = `e2e_skip_backoff_${jobId.replaceAll('-', '_')}`;
  const db = new pg.Client({ connectionString: e2eDatabaseUrl });
  await db.connect();
  await db.query(
    `create function private.${name}() returns trigger language plpgsql as $$
     begin new.next_retry_at := now(); new.kick_at := now(); return new; end $$`,
  );
  await db.query(
    `create trigger ${name} before update on public.export_lanes for each row
     when (new.job_id = '${jobId}' and new.status = 'retrying' and new.next_retry_at > now())
     execute function private.${name}()`,
  );
  return async () => {
    await db.query(`drop trigger ${name} on public.export_lanes; drop function private.${name}()`);
    await db.end();
  };
}

/** The manifest, as the dashboard reads it; sent again on ECONNRESET like the faults above (a GET). */
export async function getManifest(page: Page, id: string): Promise<ExportManifest> {
  const response = await page.request.get(`/api/exports/${id}/shards`, { maxRetries: 2 });
  expect(response.ok()).toBe(true);
  return (await response.json()) as ExportManifest;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * Recomputes the file from first principles: the download must be every shard of the manifest in
 * order, the CSV header kept once. Each shard is cut out of the file by its recorded size, the header
 * put back for shards after the first, and its sha256 compared with what the worker recorded when it
 * wrote the object. Also checks the total size against the job row and the row count against the
 * estimate when the job is complete.
 */
export function verifyDownloadedFile(file: Uint8Array, manifest: ExportManifest) {
  const { job, shards } = manifest;
  expect(file.byteLength, 'file size equals the job’s bytes_written').toBe(job.bytes_written);
  const header = file.subarray(0, shards[0]?.header_bytes ?? 0);
  let offset = 0;
  shards.forEach((shard, i) => {
    expect(shard.shard_no, 'manifest is contiguous').toBe(i + 1);
    expect(shard.status).toBe('written');
    const own = i === 0 ? shard.bytes : shard.bytes - shard.header_bytes;
    const body = file.subarray(offset, offset + own);
    const rebuilt = i === 0 || shard.header_bytes === 0 ? body : Buffer.concat([header, body]);
    expect(sha256(rebuilt), `shard ${shard.shard_no} checksum`).toBe(shard.sha256);
    offset += own;
  });
  expect(offset, 'no bytes beyond the last shard').toBe(file.byteLength);
  return { rows: shards.reduce((sum, s) => sum + s.rows, 0) };
}

/** An axe scan of the current screen: no WCAG 2.x A/AA violation of any impact (minor ones included). */
export async function expectAccessible(page: Page, testInfo: TestInfo, screen: string) {
  // Colours are checked as painted: a toast still fading in is measured half transparent. Let finite
  // animations and transitions end first (endless ones, like a pulsing shard, never do).
  await page.waitForFunction(() =>
    document.getAnimations().every((a) => a.playState !== 'running' || a.effect?.getTiming().iterations === Infinity),
  );
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  await testInfo.attach(`axe-${screen}.json`, {
    body: JSON.stringify(results.violations, null, 2),
    contentType: 'application/json',
  });
  expect(
    results.violations.map(
      (v) =>
        `${v.id} (${v.impact ?? 'unknown impact'}): ${v.help}\n${v.nodes.map((n) => `  ${n.html.slice(0, 160)}\n    ${n.failureSummary ?? ''}`).join('\n')}`,
    ),
    `axe on ${screen}`,
  ).toEqual([]);
}

/** A screenshot kept as a test artifact and under test-results/e2e/screens for reviewers. */
export async function snap(page: Page, testInfo: TestInfo, name: string, { fullPage = true } = {}) {
  const body = await page.screenshot({ fullPage });
  await testInfo.attach(name, { body, contentType: 'image/png' });
  const dir = path.join('test-results', 'e2e', 'screens');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, `${name}.png`), body);
}

/**
 * What the app last copied, pasted into a blank page of the same browser: the app's own pages deny
 * `clipboard-read` in their Permissions-Policy (it only ever writes), and a paste is no Clipboard API read.
 */
export async function readClipboard(context: BrowserContext): Promise<string> {
  const scratch = await context.newPage();
  await scratch.setContent('<textarea aria-label="Pasted"></textarea>');
  const pasted = scratch.getByLabel('Pasted');
  await pasted.focus();
  await scratch.keyboard.press('ControlOrMeta+V');
  const text = await pasted.inputValue();
  await scratch.close();
  return text;
}

/** Marks the document; if the page ever reloads, the mark is gone. */
export async function markDocument(page: Page) {
  await page.evaluate(() => {
    (window as unknown as Record<string, unknown>).__batonNoReload = true;
  });
}
export async function expectNoReload(page: Page) {
  expect(await page.evaluate(() => (window as unknown as Record<string, unknown>).__batonNoReload)).toBe(true);
}

/** The same screen at a phone's, a laptop's and a large monitor's width (390 / 1280 / 1920 px). */
export async function snapWidths(page: Page, testInfo: TestInfo, name: string) {
  const original = page.viewportSize();
  for (const width of [390, 1280, 1920]) {
    await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
    await snap(page, testInfo, `${name}-${width}`);
  }
  if (original) await page.setViewportSize(original);
}
