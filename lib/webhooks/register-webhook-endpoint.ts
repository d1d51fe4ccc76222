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
  // As the user: RLS lets only the organisation's admins insert. Read back in a second call, since the
  // insert may not return columns (the secret is not readable).
  const id = crypto.randomUUID();
  const { error } = await deps.user.supabase.from('webhook_endpoints').insert({
    id,
    organisation_id: input.organisationId,
    url: input.url,
    events: input.events,
    secret,
    created_by: deps.user.userId,
  });
  if (error?.code === '42501') {
    throw new AppError('forbidden', 'Only admins of the organisation can register webhook endpoints.');
  }
  if (error) throw new Error(`Registering the webhook endpoint failed: ${error.message}`);
  const { data, error: readError } = await deps.user.supabase
    .from('webhook_endpoints')
    .select(WEBHOOK_ENDPOINT_COLUMNS)
    .eq('id', id)
    .single();
  if (readError) throw new Error(`Reading the new webhook endpoint failed: ${readError.message}`);
  return { endpoint: data, secret };
}
