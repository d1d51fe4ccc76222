import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { NextApiRequest, NextApiResponse } from 'next';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApiToken } from '../../lib/api-tokens/create-api-token';
import type { TypedSupabaseClient } from '../../lib/supabase/typed-client';
import { createSource, createTenant, seedCollection, superuserPool, type Tenant } from './export-fixtures';
import { testStack } from './stack-info';

vi.mock('server-only', () => ({}));

/**
 * The README's "Automation" section runs as written: its ```sh blocks, in order, in one bash, against the
 * REST API v1's own route modules served over HTTP (the devstack behind them), with curl and jq.
 */
const COLLECTION = 'api_v1_readme_posts';
const PORTAL = 3131;

type AppHandler = (request: Request, ctx: { params: Promise<{ id: string }> }) => Promise<Response>;
type PagesHandler = (req: NextApiRequest, res: NextApiResponse) => Promise<void>;

let db: pg.Pool;
let server: Server;
let baseUrl: string;
let tenant: Tenant;
let sourceId: string;
let secret: string;

/** The README section's sh blocks, verbatim. */
async function automationBlocks(): Promise<string[]> {
  const readme = await readFile(path.join(import.meta.dirname, '../../README.md'), 'utf8');
  const section = /^## Automation\n([\s\S]*?)^## /m.exec(readme)?.[1];
  if (!section) throw new Error('README.md has no "## Automation" section');
  return [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

function toWebRequest(req: IncomingMessage, body: Buffer): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers.set(name, value);
  return new Request(new URL(req.url ?? '/', baseUrl), {
    method: req.method,
    headers,
    body: req.method === 'GET' || req.method === 'HEAD' ? undefined : new Uint8Array(body),
  });
}

/** Next's routing of app/api/v1 and pages/api/v1, for the routes the examples call. */
async function serveApi(): Promise<Server> {
  const app: Array<[RegExp, Record<string, AppHandler>]> = [
    [/^\/api\/v1\/exports$/, await import('@/app/api/v1/exports/route')],
    [/^\/api\/v1\/exports\/([^/]+)$/, await import('@/app/api/v1/exports/[id]/route')],
    [/^\/api\/v1\/exports\/([^/]+)\/events$/, await import('@/app/api/v1/exports/[id]/events/route')],
  ];
  const download = /^\/api\/v1\/exports\/([^/]+)\/download$/;
  const downloadHandler = (await import('@/pages/api/v1/exports/[id]/download')).default as PagesHandler;
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const pathname = new URL(req.url ?? '/', baseUrl).pathname;
        const pages = download.exec(pathname);
        if (pages) {
          Object.assign(req, { query: { id: pages[1] } });
          await downloadHandler(req as NextApiRequest, res as NextApiResponse);
          return;
        }
        for (const [pattern, module] of app) {
          const match = pattern.exec(pathname);
          const handler = match && module[req.method ?? 'GET'];
          if (!handler) continue;
          const response = await handler(toWebRequest(req, Buffer.concat(chunks)), {
            params: Promise.resolve({ id: match[1] ?? '' }),
          });
          res.writeHead(response.status, Object.fromEntries(response.headers));
          res.end(Buffer.from(await response.arrayBuffer()));
          return;
        }
        res.writeHead(404).end();
      })();
    });
  });
}

beforeAll(async () => {
  const stack = testStack();
  vi.stubEnv('NEXT_PUBLIC_SUPABASE_URL', stack.apiUrl);
  vi.stubEnv('NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY', stack.publishableKey);
  vi.stubEnv('SUPABASE_SECRET_KEY', stack.secretKey);
  vi.stubEnv('TYPESENSE_URL', stack.typesenseUrl);
  vi.stubEnv('TYPESENSE_API_KEY', stack.typesenseApiKey);
  vi.stubEnv('TYPESENSE_SEARCH_KEY', stack.typesenseSearchKey);
  db = superuserPool();
  await seedCollection(COLLECTION, 30, { portalId: PORTAL, bodyBytes: 50 });
  tenant = await createTenant(db, 'README agency');
  await db.query(`update public.memberships set role = 'admin' where user_id = $1`, [tenant.userId]);
  sourceId = await createSource(db, tenant.organisationId, COLLECTION, `portal_id:=${PORTAL}`);
  secret = (
    await createApiToken(tenant.client as TypedSupabaseClient, {
      organisationId: tenant.organisationId,
      name: 'README examples',
      scopes: ['exports:read', 'exports:write', 'downloads'],
      expiresInDays: 1,
    })
  ).secret;
  server = await serveApi();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await new Promise((resolve) => server.close(resolve));
  await db.end();
});

describe('README "Automation"', () => {
  it('runs its curl examples against the API: an export is started, waited for, downloaded and listed', async () => {
    const blocks = await automationBlocks();
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    const dir = await mkdtemp(path.join(tmpdir(), 'baton-readme-'));
    try {
      const { stdout } = await promisify(execFile)('bash', ['-c', ['set -euo pipefail', ...blocks].join('\n')], {
        cwd: dir,
        env: { ...process.env, BATON_URL: baseUrl, BATON_TOKEN: secret, BATON_SOURCE_ID: sourceId },
        timeout: 100_000,
      });
      const saved = await readFile(path.join(dir, 'export.csv'));
      const { rows } = await db.query<{ id: string; rows_written: number }>(
        'select id, rows_written from public.export_jobs where organisation_id = $1',
        [tenant.organisationId],
      );
      expect(rows).toHaveLength(1);
      expect(Number(rows[0]!.rows_written)).toBe(30);
      const served = await fetch(`${baseUrl}/api/v1/exports/${rows[0]!.id}/download`, {
        headers: { authorization: `Bearer ${secret}` },
      });
      expect(saved.toString('utf8').startsWith('hs_object_id')).toBe(true);
      expect(new Uint8Array(saved)).toEqual(new Uint8Array(await served.arrayBuffer()));
      // The events block printed the download the example made.
      expect(stdout).toContain('"downloaded"');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
