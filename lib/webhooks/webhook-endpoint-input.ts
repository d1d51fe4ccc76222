import { z } from 'zod';
import { WEBHOOK_EVENT_TYPES } from '@/supabase/functions/_shared/webhooks/webhook-events.ts';

/** What an admin sends to register an endpoint; the form validates with the same schema. */
export const webhookEndpointInput = z.object({
  organisationId: z.uuid({ message: 'Choose the organisation the endpoint receives events of.' }),
  url: z
    .string()
    .trim()
    .min(1, 'Enter the URL that receives the events.')
    .max(2048, 'The URL is longer than 2,048 characters.')
    .pipe(z.url({ message: 'Enter a full URL, e.g. https://example.com/hooks/baton.' })),
  events: z
    .array(z.enum(WEBHOOK_EVENT_TYPES))
    .min(1, 'Choose at least one event.')
    .transform((events) => [...new Set(events)]),
});

export type WebhookEndpointInput = z.infer<typeof webhookEndpointInput>;

export const webhookEndpointChange = z.object({
  enabled: z.boolean({ message: 'Send {"enabled": true} to enable the endpoint again, or false to pause it.' }),
});
