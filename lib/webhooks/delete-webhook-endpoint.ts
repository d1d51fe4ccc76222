import { AppError } from '@/lib/api/app-error';
import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';

/** Deletes an endpoint with its deliveries and log. Admins only (RLS). */
export async function deleteWebhookEndpoint(supabase: TypedSupabaseClient, endpointId: string): Promise<void> {
  const { count, error } = await supabase.from('webhook_endpoints').delete({ count: 'exact' }).eq('id', endpointId);
  if (error) throw new Error(`Deleting the webhook endpoint failed: ${error.message}`);
  if (!count) throw new AppError('not_found', 'No such webhook endpoint in an organisation you administer.');
}
