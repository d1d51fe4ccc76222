import { parseJsonBody } from '@/lib/api/parse-json-body';
import { requireUser } from '@/lib/api/require-user';
import { handleRoute } from '@/lib/api/route-handler';
import { serverEnv } from '@/lib/env/server';
import { registerWebhookEndpoint } from '@/lib/webhooks/register-webhook-endpoint';
import { webhookEndpointInput } from '@/lib/webhooks/webhook-endpoint-input';

/** 201 with the endpoint and its signing secret: the only time the secret is shown. Admins only. */
export const POST = handleRoute(async (request) => {
  const user = await requireUser(request);
  const input = await parseJsonBody(request, webhookEndpointInput);
  const created = await registerWebhookEndpoint(
    { user, policy: { allowLoopback: serverEnv().BATON_WEBHOOK_ALLOW_LOOPBACK } },
    input,
  );
  return Response.json(created, { status: 201, headers: { 'Cache-Control': 'no-store' } });
});
