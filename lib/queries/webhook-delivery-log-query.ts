import { queryOptions } from '@tanstack/react-query';
import { createClient } from '@/lib/supabase/client';
import type { Database } from '@/supabase/functions/_shared/database.types.ts';
import { queryKeys } from './keys';

export type WebhookLogEntry = Database['public']['Functions']['webhook_delivery_log']['Returns'][number];

/** How many of an endpoint's newest attempts the log shows. */
export const WEBHOOK_LOG_LIMIT = 50;

/**
 * An endpoint's newest attempts (RLS: admins only). Read again every 10 s while the page is open: the
 * attempts are written by the delivery function, not by anything this page does.
 */
export const webhookDeliveryLogQueryOptions = (endpointId: string) =>
  queryOptions({
    queryKey: queryKeys.webhooks.log(endpointId),
    queryFn: async (): Promise<WebhookLogEntry[]> => {
      const { data, error } = await createClient().rpc('webhook_delivery_log', {
        p_endpoint_id: endpointId,
        p_limit: WEBHOOK_LOG_LIMIT,
      });
      if (error) throw new Error(`Loading the delivery log failed: ${error.message}`);
      return data;
    },
    refetchInterval: 10_000,
  });
