import type { Database } from '@/supabase/functions/_shared/database.types.ts';

type Tables = Database['public']['Tables'];

/** Every column a user may read (the secret is not one). */
export const WEBHOOK_ENDPOINT_COLUMNS =
  'id, organisation_id, url, events, enabled, disabled_at, disabled_reason, failing_since, last_success_at, created_by, created_at';

export type WebhookEndpoint = Omit<Tables['webhook_endpoints']['Row'], 'secret'>;
export type WebhookDelivery = Tables['webhook_deliveries']['Row'];
export type WebhookAttempt = Tables['webhook_attempts']['Row'];
