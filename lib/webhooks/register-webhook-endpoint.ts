import { AppError } from '@/lib/api/app-error';
import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';
import { checkEndpointUrl, type EndpointPolicy } from '@/supabase/functions/_shared/webhooks/endpoint-url.ts';
import { newSigningSecret } from '@/supabase/functions/_shared/webhooks/sign-webhook.ts';
import { resolveHost } from './resolve-host';
import { WEBHOOK_ENDPOINT_COLUMNS, type WebhookEndpoint } from './types';
import type { WebhookEndpointInput } from './webhook-endpoint-input';

/**
 * Registers an endpoint for an organisation the caller administers: the URL must pass the SSRF check
 * (https, public addresses only) now, and is checked again before every delivery. The signing secret is
 * made here and returned once; the database never gives it back to a user.
 */
export async function registerWebhookEndpoint(
  deps: { user: { supabase: TypedSupabaseClient; userId: string }; policy: EndpointPolicy },
  input: WebhookEndpointInput,
): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  const check = await checkEndpointUrl(input.url, resolveHost, deps.policy);
  if (!check.ok) throw new AppError('unprocessable', check.reason, { field: 'url' });
  const secret = newSigningSecret();
  // As the user: the function checks that they administer the organisation.
  const { data: id, error } = await deps.user.supabase.rpc('register_webhook_endpoint', {
    p_organisation_id: input.organisationId,
    p_url: input.url,
    p_events: input.events,
    p_secret: secret,
  });
  if (error?.code === '42501') throw new AppError('forbidden', error.message);
  if (error) throw new Error(`Registering the webhook endpoint failed: ${error.message}`);
  const { data, error: readError } = await deps.user.supabase
    .from('webhook_endpoints')
    .select(WEBHOOK_ENDPOINT_COLUMNS)
    .eq('id', id)
    .single();
  if (readError) throw new Error(`Reading the new webhook endpoint failed: ${readError.message}`);
  return { endpoint: data, secret };
}
