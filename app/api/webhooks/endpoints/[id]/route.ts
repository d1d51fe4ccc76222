import { parseJsonBody } from '@/lib/api/parse-json-body';
import { parseUuidParam } from '@/lib/api/path-params';
import { requireUser } from '@/lib/api/require-user';
import { handleRoute } from '@/lib/api/route-handler';
import { deleteWebhookEndpoint } from '@/lib/webhooks/delete-webhook-endpoint';
import { setWebhookEndpointEnabled } from '@/lib/webhooks/set-webhook-endpoint-enabled';
import { webhookEndpointChange } from '@/lib/webhooks/webhook-endpoint-input';

type Ctx = { params: Promise<{ id: string }> };

/** Enable again (after it was disabled for failing) or pause. Admins only. */
export const PATCH = handleRoute<Ctx>(async (request, { params }) => {
  const id = parseUuidParam((await params).id, 'webhook endpoint id');
  const user = await requireUser(request);
  const { enabled } = await parseJsonBody(request, webhookEndpointChange);
  return Response.json(await setWebhookEndpointEnabled(user.supabase, id, enabled));
});

export const DELETE = handleRoute<Ctx>(async (request, { params }) => {
  const id = parseUuidParam((await params).id, 'webhook endpoint id');
  const user = await requireUser(request);
  await deleteWebhookEndpoint(user.supabase, id);
  return Response.json({ deleted: true });
});
