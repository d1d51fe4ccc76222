import { AppError } from '@/lib/api/app-error';
import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';

/** Deletes an endpoint with its deliveries and log. Admins only (RLS: others do not see it). */
export async function deleteWebhookEndpoint(supabase: TypedSupabaseClient, endpointId: string): Promise<void> {
  const { data: found, error: readError } = await supabase
    .from('webhook_endpoints')
    .select('id')
    .eq('id', endpointId)
    .maybeSingle();
  if (readError) throw new Error(`Reading the webhook endpoint failed: ${readError.message}`);
  if (!found) throw new AppError('not_found', 'No such webhook endpoint in an organisation you administer.');
  const { error } = await supabase.from('webhook_endpoints').delete().eq('id', endpointId);
  if (error) throw new Error(`Deleting the webhook endpoint failed: ${error.message}`);
}
