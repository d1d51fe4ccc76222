import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { newSigningSecret } from '../../supabase/functions/_shared/webhooks/sign-webhook.ts';
import { ms, num, type Table } from '../lib/format';
import type { BenchContext, Scenario } from '../lib/scenario';
import { median, p95, max } from '../lib/stats';

/**
 * Scenario 15 — how long an export's terminal state takes to reach a webhook receiver, with no faults:
 * from the commit that makes a job `completed` (the outbox row's `created_at`, written by the trigger in
 * that transaction) to the moment a receiver on this machine answers 2xx. The path is the hosted one:
 * the trigger's kick (here its NOTIFY, heard by the devstack; hosted, pg_net) starts the
 * webhook-deliveries function at the hosted Deno level, which claims, signs and POSTs. Jobs are moved to
 * `completed` one at a time, a quarter second apart, so each event waits for its own kick.
 *
 * Named figure: webhook_delivery_p95_ms.
 */
const SPACING_MS = 250;

export const webhookDelivery: Scenario = {
  name: 'webhook-delivery',
  title: '15. Webhook delivery latency',
  recordsNeeded: () => 0,
  run: async ({ stack, options, log }: BenchContext) => {
    const events = options.webhookEvents;
    const arrivals = new Map<string, number>();
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(204).end();
        const id = req.headers['webhook-id'];
        if (typeof id === 'string' && !arrivals.has(id)) arrivals.set(id, Date.now());
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
    const { organisationId, sourceId, userId } = stack.user;
    const { rows: endpoint } = await stack.db.query<{ id: string }>(
      `with endpoint as (
         insert into public.webhook_endpoints (organisation_id, url, events, created_by)
         values ($1, $2, '{export.completed}', $4) returning id)
       insert into public.webhook_endpoint_secrets (endpoint_id, secret) select id, $3 from endpoint
       returning endpoint_id as id`,
      [organisationId, url, newSigningSecret(), userId],
    );
    try {
      const { rows: jobs } = await stack.db.query<{ id: string }>(
        `insert into public.export_jobs (organisation_id, source_id, requested_by, collection, key_field, fields,
           format, estimated_rows)
         select $1, $2, $3, 'blog_posts', 'hs_object_id', '{hs_object_id}', 'csv', 0 from generate_series(1, $4)
         returning id`,
        [organisationId, sourceId, userId, events],
      );
      log(`webhook-delivery: ${num(events)} exports reach "completed", ${SPACING_MS} ms apart …`);
      for (const job of jobs) {
        await stack.db.query(`update public.export_jobs set status = 'completed', finished_at = now() where id = $1`, [
          job.id,
        ]);
        await new Promise((resolve) => setTimeout(resolve, SPACING_MS));
      }
      const deadline = Date.now() + 120_000;
      while (arrivals.size < events && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      const { rows: messages } = await stack.db.query<{ id: string; created_ms: number }>(
        `select id, extract(epoch from created_at) * 1000 as created_ms from public.webhook_messages
         where job_id = any ($1::uuid[])`,
        [jobs.map((j) => j.id)],
      );
      const latencies = messages
        .filter((m) => arrivals.has(m.id))
        .map((m) => arrivals.get(m.id)! - Number(m.created_ms));
      const table: Table = {
        title: `15. Webhook delivery: terminal state → receiver's 2xx (${num(events)} events, no faults)`,
        columns: ['events', 'arrived', 'median', 'p95', 'max'],
        rows: [[num(events), num(latencies.length), ms(median(latencies)), ms(p95(latencies)), ms(max(latencies))]],
        notes: [
          'Each delivery includes the kick and a cold start of the webhook-deliveries function (a fresh Deno process at the hosted level, as the devstack runs every invocation); hosted, the pg_net kick replaces the NOTIFY.',
          'The receiver runs on this machine (loopback, which only the devstack allows).',
        ],
      };
      return { tables: [table], data: { events, latencies }, figures: { webhook_delivery_p95_ms: p95(latencies) } };
    } finally {
      await stack.db.query('delete from public.webhook_endpoints where id = $1', [endpoint[0]!.id]);
      server.closeAllConnections();
      server.close();
    }
  },
};
