/**
 * Which job status emits which webhook event: the TypeScript twin of the `webhook_event_types` table. A
 * status that should emit an event is one entry here and one row there. `expired` is not a status but
 * retention's end of an export's files (`expired_at` set; its own trigger looks it up here).
 */
export const WEBHOOK_EVENT_FOR_STATUS = {
  running: 'export.started',
  completed: 'export.completed',
  failed: 'export.failed',
  cancelled: 'export.cancelled',
  expired: 'export.expired',
} as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_FOR_STATUS)[keyof typeof WEBHOOK_EVENT_FOR_STATUS];

export const WEBHOOK_EVENT_TYPES = Object.values(WEBHOOK_EVENT_FOR_STATUS) as [WebhookEventType, ...WebhookEventType[]];
