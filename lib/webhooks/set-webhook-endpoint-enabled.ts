import { AppError } from '@/lib/api/app-error';
import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';
import { WEBHOOK_ENDPOINT_COLUMNS, type WebhookEndpoint } from './types';

/** Enables an endpoint again (its failure streak starts over) or pauses it. Admins only (RLS). */
export async function setWebhookEndpointEnabled(
  supabase: TypedSupabaseClient,
  endpointId: string,
  enabled: boolean,
): Promise<WebhookEndpoint> {
  const change = enabled
    ? { enabled, disabled_at: null, disabled_reason: null, failing_since: null }
    : { enabled, disabled_at: new Date().toISOString(), disabled_reason: 'Paused by an admin.' };
  const { error } = await supabase.from('webhook_endpoints').update(change).eq('id', endpointId);
  if (error) throw new Error(`Changing the webhook endpoint failed: ${error.message}`);
  const { data: endpoint, error: readError } = await supabase
    .from('webhook_endpoints')
    .select(WEBHOOK_ENDPOINT_COLUMNS)
    .eq('id', endpointId)
    .maybeSingle();
  if (readError) throw new Error(`Reading the webhook endpoint failed: ${readError.message}`);
  if (!endpoint) throw new AppError('not_found', 'No such webhook endpoint in an organisation you administer.');
  return endpoint;
}
