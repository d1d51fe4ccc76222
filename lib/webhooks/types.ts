import type { Database } from '@/supabase/functions/_shared/database.types.ts';

type Tables = Database['public']['Tables'];

/** The endpoint's columns (its secret lives in a table no user may read). */
export const WEBHOOK_ENDPOINT_COLUMNS =
  'id, organisation_id, url, events, enabled, disabled_at, disabled_reason, failing_since, last_success_at, created_by, created_at';

export type WebhookEndpoint = Tables['webhook_endpoints']['Row'];
export type WebhookDelivery = Tables['webhook_deliveries']['Row'];
export type WebhookAttempt = Tables['webhook_attempts']['Row'];
