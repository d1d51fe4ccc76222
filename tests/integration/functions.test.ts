import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createClient, FunctionsHttpError, type SupabaseClient } from '@supabase/supabase-js';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createFunctionsHandler,
  type FunctionsHandler,
  type FunctionsHandlerOptions,
} from '../../devstack/functions/handler';
import { HOSTED_DENO_VERSION } from '../../devstack/functions/hosted-runtime';
import { mintUserJwt } from './clients';
import { localContext } from './local-context';
import { testStack } from './stack-info';

/**
 * The Functions service, driven through supabase-js `functions.invoke` against Deno processes running the
 * fixtures in tests/fixtures/functions. Limit tests mount their own handler with a 2.5 s wall clock and a
 * 64 MB cap (the shared stack keeps the hosted 150 s / 256 MB).
 */

const projectRoot = path.resolve(import.meta.dirname, '..', '..');
const fixturesDir = path.join(projectRoot, 'tests', 'fixtures', 'functions');

function clientAt(apiUrl: string, key: string): SupabaseClient {
  return createClient(apiUrl, key, {
    auth: { persistSession: false, autoRefreshToken: false },
  });
}

type Hit = { path: string; body: string; at: number };

/** A test-owned HTTP server the fixtures report to (beforeunload markers, background-work reports). */
async function startCollector() {
  const hits: Hit[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      hits.push({ path: req.url ?? '/', body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    hits,
    async waitFor(hitPath: string, timeoutMs: number): Promise<Hit> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = hits.find((h) => h.path === hitPath);
        if (hit) return hit;
        if (Date.now() > deadline) throw new Error(`no request to ${hitPath} within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function waitUntilDead(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`process ${pid} still alive after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The status and parsed body of a failed invoke (functions-js gives the raw Response as `context`). */
async function failure(error: unknown): Promise<{ status: number; body: string }> {
  expect(error).toBeInstanceOf(FunctionsHttpError);
  const response = (error as FunctionsHttpError).context as Response;
  return { status: response.status, body: await response.text() };
}

type EchoBody = {
  method: string;
  path: string;
  query: string;
  contentType: string | null;
  apikey: string | null;
  authorization: string | null;
  body: string;
  pid: number;
  servedByThisProcess: number;
  edgeRuntime: string;
  env: {
    SUPABASE_URL: string | null;
    SUPABASE_DB_URL: string | null;
    TYPESENSE_URL: string | null;
    hasAnonKey: boolean;
    hasServiceRoleKey: boolean;
    publishableKeys: Record<string, string> | null;
    secretKeys: Record<string, string> | null;
    jwks: { keys: Array<{ kid: string; alg: string }> } | null;
    names: string[];
  };
};

describe('functions on the shared devstack', () => {
  const stack = testStack();
  const service = clientAt(stack.apiUrl, stack.secretKey);

  it('round-trips a request to a fresh Deno process with the hosted environment', async () => {
    const { data, error } = await service.functions.invoke<EchoBody>('echo', { body: { hello: 'world' } });
    expect(error).toBeNull();
    expect(data).toMatchObject({
      method: 'POST',
      path: '/echo',
      contentType: 'application/json',
      body: '{"hello":"world"}',
      servedByThisProcess: 1,
      edgeRuntime: 'function',
      env: {
        SUPABASE_URL: stack.apiUrl,
        SUPABASE_DB_URL: stack.pgConnectionString,
        TYPESENSE_URL: stack.typesenseUrl,
        hasAnonKey: true,
        hasServiceRoleKey: true,
      },
    });
    const names = data?.env.names ?? [];
    expect(names).toEqual(
      expect.arrayContaining(['SUPABASE_URL', 'SUPABASE_ANON_KEY', 'SUPABASE_SERVICE_ROLE_KEY', 'SUPABASE_DB_URL']),
    );
    if (stack.apiKeyMode === 'new') {
      // docs/protocols-2026.md §4.1: the key dictionaries with a `default` entry, and the public signing keys.
      expect(data?.env.publishableKeys).toEqual({ default: stack.publishableKey });
      expect(data?.env.secretKeys).toEqual({ default: stack.secretKey });
      const jwks = (await (
        await fetch(`${stack.apiUrl}/auth/v1/.well-known/jwks.json`)
      ).json()) as EchoBody['env']['jwks'];
      expect(data?.env.jwks).toEqual(jwks);
      expect(data?.env.jwks?.keys[0]).toMatchObject({ alg: 'ES256', kid: expect.any(String) });
    }
    // supabase-js sends an sb_ key as `apikey` only; the platform forwards the headers as sent.
    expect(data?.apikey).toBe(stack.secretKey);
    if (stack.apiKeyMode === 'new') expect(data?.authorization).toBeNull();
    // Nothing of the devstack's own environment leaks in (the vitest process sets VITEST and NODE_ENV;
    // PATH is not checked: Deno itself puts one into its environment).
    for (const leaked of ['HOME', 'VITEST', 'NODE_ENV', 'PWD']) expect(names).not.toContain(leaked);
    expect(names.filter((name) => name.startsWith('npm_') || name.startsWith('DEVSTACK_'))).toEqual([]);
    // Nothing pending after the response: the process exits by itself.
    await waitUntilDead(data?.pid ?? 0, 2_000);
  });

  it('forwards sub-paths, query strings and the method', async () => {
    const { data, error } = await service.functions.invoke<EchoBody>('echo/sub/path?x=1&y=two', { method: 'GET' });
    expect(error).toBeNull();
    expect(data).toMatchObject({ method: 'GET', path: '/echo/sub/path', query: '?x=1&y=two', body: '' });
  });

  it('runs every invocation in its own process, concurrently', async () => {
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => service.functions.invoke<EchoBody>('echo', { body: { i } })),
    );
    for (const { error, data } of results) {
      expect(error).toBeNull();
      // A module-level counter in the fixture: a reused worker would report 2 or more.
      expect(data?.servedByThisProcess).toBe(1);
    }
    expect(new Set(results.map((r) => r.data?.pid)).size).toBe(6);
  });

  it('answers 404 "Function not found" for an unknown function', async () => {
    const { data, error } = await service.functions.invoke('no-such-function', { body: {} });
    expect(data).toBeNull();
    expect(await failure(error)).toEqual({ status: 404, body: 'Function not found' });
    // `_shared`-style folders are never functions.
    expect((await failure((await service.functions.invoke('_shared')).error)).status).toBe(404);
  });

  it('applies the hosted verify_jwt gate: a JWT or a project key passes, anything else is 401 with its code', async () => {
    const call = (headers: Record<string, string>) =>
      fetch(`${stack.apiUrl}/functions/v1/echo`, { method: 'POST', headers, body: '{}' });
    const expectRefused = async (res: Response, code: string) => {
      expect(res.status).toBe(401);
      expect(res.headers.get('sb-error-code')).toBe(code);
      expect(await res.json()).toEqual({
        code,
        message: code === 'UNAUTHORIZED_NO_AUTH_HEADER' ? 'Missing authorization header' : 'Invalid JWT',
      });
    };
    await expectRefused(await call({}), 'UNAUTHORIZED_NO_AUTH_HEADER');
    await expectRefused(await call({ apikey: 'sb_publishable_forged' }), 'UNAUTHORIZED_NO_AUTH_HEADER');
    await expectRefused(await call({ Authorization: 'Bearer not-a-jwt' }), 'UNAUTHORIZED_INVALID_JWT_FORMAT');
    const expired = await mintUserJwt(crypto.randomUUID(), { expiresInSeconds: -60 });
    await expectRefused(
      await call({ Authorization: `Bearer ${expired}` }),
      stack.apiKeyMode === 'new' ? 'UNAUTHORIZED_ASYMMETRIC_JWT' : 'UNAUTHORIZED_LEGACY_JWT',
    );

    // A project key on either header passes ("for migration compatibility"), and so does a user's JWT.
    const passing: Array<Record<string, string>> = [
      { apikey: stack.publishableKey },
      { Authorization: `Bearer ${stack.publishableKey}` },
      { apikey: stack.publishableKey, Authorization: `Bearer ${await mintUserJwt(crypto.randomUUID())}` },
    ];
    for (const headers of passing) {
      const res = await call(headers);
      expect(res.status, JSON.stringify(headers)).toBe(200);
      expect(((await res.json()) as EchoBody).servedByThisProcess).toBe(1);
    }
    // supabase-js with the publishable key and no session: apikey only, which passes too.
    const anon = await clientAt(stack.apiUrl, stack.publishableKey).functions.invoke<EchoBody>('echo', { body: {} });
    expect(anon.error).toBeNull();
    expect(anon.data?.apikey).toBe(stack.publishableKey);
  });

  it('runs a function importing supabase-js, typesense and zod through the pinned import map', async () => {
    // First run in a fresh data dir downloads the packages from the npm registry into DENO_DIR.
    const { data, error } = await service.functions.invoke<{ nested: EchoBody; typesenseClient: string }>(
      'npm-imports',
    );
    expect(error).toBeNull();
    // createClient() inside Deno, then a real functions.invoke back into the devstack.
    expect(data?.nested).toMatchObject({ path: '/echo', body: '{"from":"npm-imports"}', servedByThisProcess: 1 });
    expect(data?.typesenseClient).toBe('function');
  });

  it("takes from a function what hosted Edge Functions' runtime takes away (its Deno level, no CPU clock, the fs blocklist)", async () => {
    const { data, error } = await service.functions.invoke<Record<string, unknown>>('runtime-facts');
    expect(error).toBeNull();
    expect(data).toEqual({
      deno: HOSTED_DENO_VERSION,
      // A function cannot read its own CPU time there: no threadCpuUsage, cpuUsage() all zeros.
      threadCpuUsage: 'undefined',
      cpuUsage: { user: 0, system: 0 },
      execPath: '/bin/edge-runtime',
      readWhileLoading: 'ok',
      readWhileServing: 'PermissionDenied: Deno.readTextFileSync is blocklisted on the current context',
      chmod: 'PermissionDenied: Deno.chmodSync is blocklisted',
      // Deno.exit is a no-op: the answer still came.
      exitCalled: 'ok',
      sharedArrayBufferIsArrayBuffer: true,
      sharedWasmMemory: 'TypeError: Creating a shared memory is not supported',
      worker: 'undefined',
      hardwareConcurrency: 1,
    });
  });

  it('boots the real, unmodified export worker from supabase/functions (its deno.json and frozen deno.lock)', async () => {
    // Only the boot is this suite's business: a body the worker must refuse keeps it from doing any work.
    const { error } = await service.functions.invoke('export-worker', { body: 'not json' });
    const { status, body } = await failure(error);
    expect(status, body).toBeLessThan(500);
  });

  it('keeps EdgeRuntime.waitUntil work alive after the response, then exits', async () => {
    const collector = await startCollector();
    try {
      const started = Date.now();
      const { data, error } = await service.functions.invoke<{ accepted: boolean; pid: number }>('wait-until', {
        body: { reportUrl: `${collector.url}/report`, delayMs: 1_500 },
      });
      const answeredAfter = Date.now() - started;
      expect(error).toBeNull();
      expect(data?.accepted).toBe(true);
      // The response did not wait for the background work…
      expect(answeredAfter).toBeLessThan(1_500);
      expect(collector.hits).toHaveLength(0);
      const pid = data?.pid ?? 0;
      expect(isAlive(pid)).toBe(true);
      // …which still finished in the same process…
      const report = await collector.waitFor('/report', 10_000);
      expect(JSON.parse(report.body)).toEqual({ pid, done: true });
      expect(report.at - started).toBeGreaterThanOrEqual(1_500);
      // …after which the process exits by itself.
      await waitUntilDead(pid, 3_000);
    } finally {
      await collector.close();
    }
  });

  it('maps an uncaught handler error to 500 and a module that fails to load to 503 BOOT_ERROR', async () => {
    const thrown = await failure((await service.functions.invoke('throws')).error);
    expect(thrown.status).toBe(500);
    expect(JSON.parse(thrown.body)).toMatchObject({ code: 'WORKER_ERROR' });
    const boot = await failure((await service.functions.invoke('boot-error')).error);
    expect(boot).toEqual({
      status: 503,
      body: JSON.stringify({ code: 'BOOT_ERROR', message: 'Worker failed to boot (please check logs)' }),
    });
  });
});

type MountedHandler = { service: SupabaseClient; logs: string[]; close: () => Promise<void> };

/**
 * A Functions handler of our own on its own loopback server, with a hand-made DevstackContext: the way
 * to run the service with small limits (the shared stack keeps the hosted ones).
 */
async function mountFunctions(
  limits: FunctionsHandlerOptions['limits'] & { memoryMb: number; wallClockMs: number },
): Promise<MountedHandler> {
  const stack = testStack();
  const logs: string[] = [];
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // Never connected: the Functions service only reads its connection string for SUPABASE_DB_URL.
  const db = new pg.Pool({ connectionString: stack.pgConnectionString });
  const ctx = await localContext({
    db,
    apiUrl,
    config: { dataDir: stack.dataDir, functionWallClockMs: limits.wallClockMs, functionMemoryMb: limits.memoryMb },
    log: (_service, message) => logs.push(message),
  });
  const handler: FunctionsHandler = createFunctionsHandler(ctx, { functionsDirs: [fixturesDir], limits });
  server.on('request', (req, res) => {
    const url = new URL(req.url ?? '/', apiUrl);
    const prefix = '/functions/v1';
    if (!url.pathname.startsWith(`${prefix}/`)) {
      res.writeHead(404).end();
      return;
    }
    void handler(req, res, url.pathname.slice(prefix.length), url);
  });
  return {
    service: clientAt(apiUrl, stack.secretKey),
    logs,
    close: async () => {
      await handler.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await db.end();
    },
  };
}

describe('functions limits (own handler: 2.5 s wall clock, 64 MB)', () => {
  const wallClockMs = 2_500;
  const graceMs = 1_000;
  let mounted: MountedHandler;
  let service: SupabaseClient;
  let logs: string[];
  let collector: Awaited<ReturnType<typeof startCollector>>;

  beforeAll(async () => {
    mounted = await mountFunctions({ wallClockMs, memoryMb: 64, beforeUnloadGraceMs: graceMs });
    ({ service, logs } = mounted);
    collector = await startCollector();
  });

  afterAll(async () => {
    await mounted.close();
    await collector.close();
  });

  it('fires beforeunload at the wall clock, kills the process after the grace and answers 546', async () => {
    const started = Date.now();
    const { error } = await service.functions.invoke('sleep-past-wall-clock', {
      body: { markerUrl: `${collector.url}/wall-clock` },
    });
    const answeredAt = Date.now();
    expect(await failure(error)).toEqual({
      status: 546,
      body: JSON.stringify({
        code: 'WORKER_LIMIT',
        message: 'Worker failed to respond due to a resource limit (please check logs)',
      }),
    });
    const marker = await collector.waitFor('/wall-clock', 1_000);
    const { reason, pid } = JSON.parse(marker.body) as { reason: string; pid: number };
    expect(reason).toBe('WallClockTime');
    // beforeunload came at the wall clock, before the kill; the answer only after the grace.
    expect(marker.at - started).toBeGreaterThanOrEqual(wallClockMs - 100);
    expect(marker.at).toBeLessThanOrEqual(answeredAt);
    expect(answeredAt - started).toBeGreaterThanOrEqual(wallClockMs + graceMs - 100);
    // The fixture would report again 3 s after beforeunload had it survived; it was reaped within the
    // grace instead, so that report can never come (no need to wait the 3 s out).
    expect(isAlive(pid)).toBe(false);
    expect(answeredAt - marker.at).toBeLessThan(3_000);
    expect(collector.hits.filter((h) => h.path === '/wall-clock/after-grace')).toHaveLength(0);
  });

  it('ends waitUntil work at the wall clock too, after beforeunload', async () => {
    const started = Date.now();
    const { data, error } = await service.functions.invoke<{ pid: number }>('sleep-past-wall-clock', {
      body: { markerUrl: `${collector.url}/wall-clock-background`, respond: true },
    });
    expect(error).toBeNull();
    const pid = data?.pid ?? 0;
    expect(Date.now() - started).toBeLessThan(wallClockMs);
    expect(isAlive(pid)).toBe(true);
    const marker = await collector.waitFor('/wall-clock-background', wallClockMs + 2_000);
    expect(JSON.parse(marker.body)).toEqual({ reason: 'WallClockTime', pid });
    await waitUntilDead(pid, graceMs + 1_000);
  });

  it('kills a function whose off-heap memory outgrows the cap (RSS watchdog, beforeunload "Memory", 546)', async () => {
    const { error } = await service.functions.invoke('allocate-memory', {
      body: { mode: 'buffer', markerUrl: `${collector.url}/memory` },
    });
    expect((await failure(error)).status).toBe(546);
    const marker = await collector.waitFor('/memory', 1_000);
    const { reason, pid } = JSON.parse(marker.body) as { reason: string; pid: number };
    expect(reason).toBe('Memory');
    expect(isAlive(pid)).toBe(false);
  });

  it('kills a function that fills the V8 heap past the cap (546)', async () => {
    const { error } = await service.functions.invoke('allocate-memory', { body: { mode: 'heap' } });
    expect(await failure(error)).toMatchObject({ status: 546 });
    expect(logs.some((line) => /allocate-memory .* limit=Memory/.test(line))).toBe(true);
  });
});

describe('functions CPU limit (own handler: 300 ms of CPU)', () => {
  it('fires beforeunload "CPUTime" and answers 546 when a function burns CPU past the limit', async () => {
    const mounted = await mountFunctions({
      wallClockMs: 20_000,
      memoryMb: 256,
      cpuTimeMs: 300,
      beforeUnloadGraceMs: 500,
    });
    const collector = await startCollector();
    try {
      const started = Date.now();
      const { error } = await mounted.service.functions.invoke('burn-cpu', {
        body: { markerUrl: `${collector.url}/cpu` },
      });
      expect((await failure(error)).status).toBe(546);
      // Well before the 20 s wall clock: the CPU limit ended it.
      expect(Date.now() - started).toBeLessThan(10_000);
      const marker = await collector.waitFor('/cpu', 1_000);
      const { reason, pid } = JSON.parse(marker.body) as { reason: string; pid: number };
      expect(reason).toBe('CPUTime');
      expect(isAlive(pid)).toBe(false);
    } finally {
      await mounted.close();
      await collector.close();
    }
  });
});
