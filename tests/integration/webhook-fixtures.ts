import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import { vi } from 'vitest';
import { newSigningSecret } from '../../supabase/functions/_shared/webhooks/sign-webhook.ts';
import { serviceClient } from './clients';
import { createSource, type Tenant } from './export-fixtures';

/** What a receiver does with one request. `hang`: never answers (the sender's timeout ends it). */
export type ReceiverAnswer = 'ok' | 'error' | 'hang';

export type ReceivedWebhook = { headers: IncomingHttpHeaders; body: string; answered: ReceiverAnswer; at: number };

export type Receiver = {
  url: string;
  received: ReceivedWebhook[];
  close: () => Promise<void>;
};

/** A webhook receiver on 127.0.0.1 (the devstack allows loopback endpoints explicitly). */
export async function startReceiver(answer: (request: number) => ReceiverAnswer = () => 'ok'): Promise<Receiver> {
  const received: ReceivedWebhook[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const answered = answer(received.length);
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), answered, at: Date.now() });
      if (answered === 'ok') res.writeHead(204).end();
      else if (answered === 'error') res.writeHead(500, { 'Content-Type': 'text/plain' }).end('receiver exploded');
      // 'hang': the response stays open until the sender gives up or the server closes.
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/baton`,
    received,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** An endpoint inserted with the service role (no registration check), with a known secret. */
export async function insertEndpoint(
  db: pg.Pool,
  tenant: Tenant,
  url: string,
  events: string[] = ['export.started', 'export.completed', 'export.failed', 'export.cancelled'],
  extra: { failingSince?: string } = {},
): Promise<{ id: string; secret: string }> {
  const secret = newSigningSecret();
  const { rows } = await db.query<{ id: string }>(
    `insert into public.webhook_endpoints (organisation_id, url, events, created_by, failing_since)
     values ($1, $2, $3, $4, $5::timestamptz) returning id`,
    [tenant.organisationId, url, events, tenant.userId, extra.failingSince ?? null],
  );
  await db.query('insert into public.webhook_endpoint_secrets (endpoint_id, secret) values ($1, $2)', [
    rows[0]!.id,
    secret,
  ]);
  return { id: rows[0]!.id, secret };
}

/** Queued export jobs of the tenant, inserted as the API does; no worker is kicked. */
export async function insertJobs(db: pg.Pool, tenant: Tenant, count: number): Promise<string[]> {
  const sourceId = await createSource(db, tenant.organisationId, `hooks_${randomUUID().slice(0, 8)}`, null);
  const { rows } = await db.query<{ id: string }>(
    `insert into public.export_jobs (organisation_id, source_id, requested_by, collection, key_field, fields, format,
       estimated_rows)
     select $1, $2, $3, 'posts', 'hs_object_id', '{hs_object_id}', 'csv', 100 from generate_series(1, $4)
     returning id`,
    [tenant.organisationId, sourceId, tenant.userId, count],
  );
  return rows.map((row) => row.id);
}

/** Moves jobs to a status, as the state machine would (the outbox trigger only looks at the status). */
export async function setStatus(db: pg.Pool, jobIds: string[], status: string): Promise<void> {
  await db.query(`update public.export_jobs set status = $2 where id = any ($1::uuid[])`, [jobIds, status]);
}

/** Kicks the delivery function as the sweep does, until `done()` holds (at most `maxKicks` times). */
export async function kickUntil(done: () => Promise<boolean>, maxKicks = 200): Promise<void> {
  const admin = serviceClient();
  await vi.waitFor(
    async () => {
      if (await done()) return;
      const { error } = await admin.functions.invoke('webhook-deliveries', { body: {} });
      if (error) throw error;
      throw new Error('not done yet: kicking webhook-deliveries again');
    },
    { timeout: maxKicks * 250, interval: 250 },
  );
}

export async function deliveryStatuses(db: pg.Pool, endpointId: string): Promise<Record<string, number>> {
  const { rows } = await db.query<{ status: string; n: number }>(
    'select status, count(*)::int as n from public.webhook_deliveries where endpoint_id = $1 group by status',
    [endpointId],
  );
  return Object.fromEntries(rows.map((row) => [row.status, row.n]));
}
