import { queryOptions } from '@tanstack/react-query';
import { createClient } from '@/lib/supabase/client';
import { WEBHOOK_ENDPOINT_COLUMNS, type WebhookEndpoint } from '@/lib/webhooks/types';
import { queryKeys } from './keys';

/** The organisation's webhook endpoints, newest first (RLS: admins only). */
export const webhookEndpointsQueryOptions = (organisationId: string) =>
  queryOptions({
    queryKey: queryKeys.webhooks.endpoints(organisationId),
    queryFn: async (): Promise<WebhookEndpoint[]> => {
      const { data, error } = await createClient()
        .from('webhook_endpoints')
        .select(WEBHOOK_ENDPOINT_COLUMNS)
        .eq('organisation_id', organisationId)
        .order('created_at', { ascending: false });
      if (error) throw new Error(`Loading webhook endpoints failed: ${error.message}`);
      return data;
    },
  });
