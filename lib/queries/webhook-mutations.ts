import { mutationOptions, type QueryClient } from '@tanstack/react-query';
import type { WebhookEndpoint } from '@/lib/webhooks/types';
import type { WebhookEndpointInput } from '@/lib/webhooks/webhook-endpoint-input';
import { apiFetch } from './api-fetch';
import { queryKeys } from './keys';

const refreshWebhooks = (queryClient: QueryClient) =>
  queryClient.invalidateQueries({ queryKey: queryKeys.webhooks.all });

/** Answers the endpoint and its signing secret, which is shown once. */
export const registerWebhookMutationOptions = (queryClient: QueryClient) =>
  mutationOptions({
    mutationFn: (body: WebhookEndpointInput) =>
      apiFetch<{ endpoint: WebhookEndpoint; secret: string }>('/api/webhooks/endpoints', {
        method: 'POST',
        json: body,
      }),
    onSuccess: () => refreshWebhooks(queryClient),
  });

export const setWebhookEnabledMutationOptions = (queryClient: QueryClient, endpointId: string) =>
  mutationOptions({
    mutationFn: (enabled: boolean) =>
      apiFetch<WebhookEndpoint>(`/api/webhooks/endpoints/${endpointId}`, { method: 'PATCH', json: { enabled } }),
    onSuccess: () => refreshWebhooks(queryClient),
  });

export const deleteWebhookMutationOptions = (queryClient: QueryClient, endpointId: string) =>
  mutationOptions({
    mutationFn: () =>
      apiFetch<{ deleted: true }>(`/api/webhooks/endpoints/${endpointId}`, { method: 'DELETE', json: {} }),
    onSuccess: () => refreshWebhooks(queryClient),
  });

/** The same message (same webhook-id) to the same endpoint again, now. */
export const resendWebhookMutationOptions = (queryClient: QueryClient) =>
  mutationOptions({
    mutationFn: (deliveryId: string) =>
      apiFetch<{ queued: true }>(`/api/webhooks/deliveries/${deliveryId}/resend`, { method: 'POST', json: {} }),
    onSuccess: () => refreshWebhooks(queryClient),
  });
