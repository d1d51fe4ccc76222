// Webhook deliveries (Supabase Edge Function). Thin glue: configuration, the official client, and the
// delivery loop of ../_shared/webhooks/deliver-due-webhooks.ts.
//
// POST (any body) with the project's secret key in `apikey`: pg_cron's sweep calls it every 10 s while a
// delivery is due, and the outbox trigger calls it through pg_net as soon as an event is queued. Answers
// 202 at once; the deliveries run in EdgeRuntime.waitUntil. Concurrent invocations share the queue safely
// (claims use FOR UPDATE SKIP LOCKED).
//
// `verify_jwt = false` (supabase/config.toml): it checks its caller in code, as the export worker does.
import { resolveEnv, verifyAuth } from '@supabase/server/core';
import { createClient } from '@supabase/supabase-js';
import { z } from 'zod';
import { attemptDelivery, type ClaimedDelivery } from '../_shared/webhooks/attempt-delivery.ts';
import { deliverDueWebhooks } from '../_shared/webhooks/deliver-due-webhooks.ts';
import { parseWebhookSettings } from '../_shared/webhooks/webhook-settings.ts';

declare const EdgeRuntime: { waitUntil<T>(promise: Promise<T>): Promise<T> };

const env = z
  .object({ SUPABASE_URL: z.url(), SUPABASE_SERVICE_ROLE_KEY: z.string().min(1).optional() })
  .parse(Deno.env.toObject());
const settings = parseWebhookSettings(Deno.env.toObject());

function callerKeys(): Record<string, string> {
  const resolved = resolveEnv();
  if (resolved.error) throw new Error(`webhook-deliveries: ${resolved.error.message}`);
  if (Object.keys(resolved.data.secretKeys).length > 0) return resolved.data.secretKeys;
  if (env.SUPABASE_SERVICE_ROLE_KEY) return { default: env.SUPABASE_SERVICE_ROLE_KEY };
  throw new Error('webhook-deliveries: no secret key (SUPABASE_SECRET_KEYS) nor legacy SUPABASE_SERVICE_ROLE_KEY');
}
const secretKeys = callerKeys();
const supabase = createClient(env.SUPABASE_URL, secretKeys.default ?? Object.values(secretKeys)[0]!, {
  auth: { persistSession: false, autoRefreshToken: false },
});

/** A and AAAA records; a name with neither resolves to nothing (and is refused). */
async function resolveHost(hostname: string): Promise<string[]> {
  const lookups = await Promise.allSettled([Deno.resolveDns(hostname, 'A'), Deno.resolveDns(hostname, 'AAAA')]);
  return lookups.flatMap((lookup) => (lookup.status === 'fulfilled' ? lookup.value : []));
}

/** The lease a claim takes: the attempt's timeout plus time to record it. */
const leaseMs = settings.timeoutMs + 10_000;

async function deliver(): Promise<void> {
  await deliverDueWebhooks(
    {
      now: () => new Date(),
      claim: async (limit) => {
        const { data, error } = await supabase.rpc('claim_webhook_deliveries', { p_limit: limit, p_lease_ms: leaseMs });
        if (error) throw new Error(`claim_webhook_deliveries: ${error.message}`);
        return data satisfies ClaimedDelivery[];
      },
      attempt: (delivery) =>
        attemptDelivery(delivery, {
          fetch,
          resolve: resolveHost,
          policy: { allowLoopback: settings.allowLoopback },
          timeoutMs: settings.timeoutMs,
          now: () => new Date(),
        }),
      record: async (delivery, outcome, next) => {
        const { error } = await supabase.rpc('record_webhook_attempt', {
          p_delivery_id: delivery.delivery_id,
          p_attempt: delivery.attempt,
          p_started_at: outcome.startedAt.toISOString(),
          p_response_status: outcome.responseStatus ?? undefined,
          p_latency_ms: outcome.latencyMs,
          p_response_excerpt: outcome.responseExcerpt ?? undefined,
          p_error: outcome.error ?? undefined,
          p_succeeded: outcome.succeeded,
          p_next_attempt_at: next?.toISOString() ?? undefined,
          p_disable_after_ms: settings.disableAfterMs,
        });
        // Unrecorded, the claim's lease runs out and the delivery is attempted again: at least once.
        if (error) console.error(`record_webhook_attempt ${delivery.delivery_id}: ${error.message}`);
      },
    },
    { retry: settings.retry, timeBudgetMs: settings.timeBudgetMs },
  );
}

Deno.serve(async (req) => {
  const caller = await verifyAuth(req, { auth: 'secret:*', env: { secretKeys } });
  if (caller.error) return Response.json(caller.error.toJSON(), { status: caller.error.status });
  if (req.method !== 'POST') return Response.json({ error: 'Use POST' }, { status: 405 });
  await req.body?.cancel();
  EdgeRuntime.waitUntil(deliver().catch((error: unknown) => console.error(`webhook-deliveries: ${String(error)}`)));
  return Response.json({ accepted: true }, { status: 202 });
});
