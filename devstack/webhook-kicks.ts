import type { PoolClient } from 'pg';
import { projectApiKeys, type DevstackContext } from './context';

const CHANNEL = 'baton_webhook_deliveries';

/**
 * Stands in for the hosted kicks of the `webhook-deliveries` function: pg_net from the outbox trigger
 * (here: the trigger's NOTIFY, heard on a connection of our own) and pg_cron's sweep while a delivery is
 * due (here: the sweep timer). Kicks never overlap: one that arrives while another is in flight runs after it.
 */
export function startWebhookKicks(ctx: DevstackContext): { stop: () => Promise<void> } {
  let inFlight: Promise<void> | null = null;
  let again = false;
  let stopped = false;

  const kickOnce = async () => {
    try {
      const res = await fetch(`${ctx.apiUrl}/functions/v1/webhook-deliveries`, {
        method: 'POST',
        headers: { apikey: projectApiKeys(ctx).secret, 'Content-Type': 'application/json' },
        body: '{}',
      });
      await res.body?.cancel();
    } catch (error) {
      ctx.log('webhooks', `kick failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const kick = () => {
    if (stopped) return;
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = kickOnce().finally(() => {
      inFlight = null;
      if (again) {
        again = false;
        kick();
      }
    });
  };

  const sweep = async () => {
    try {
      const { rows } = await ctx.db.query<{ due: boolean | null }>(
        "select case when to_regprocedure('private.webhook_deliveries_due()') is null then false else private.webhook_deliveries_due() end as due",
      );
      if (rows[0]?.due) kick();
    } catch (error) {
      ctx.log('webhooks', `sweep failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const timer = setInterval(() => void sweep(), ctx.config.sweepIntervalMs);
  timer.unref();

  let listener: PoolClient | null = null;
  const listening = ctx.db
    .connect()
    .then(async (client) => {
      listener = client;
      client.on('notification', (message) => {
        if (message.channel === CHANNEL) kick();
      });
      await client.query(`listen ${CHANNEL}`);
    })
    .catch((error: unknown) => ctx.log('webhooks', `listen failed: ${String(error)}`));

  return {
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await listening;
      (listener as PoolClient | null)?.release(true);
      await inFlight;
    },
  };
}
