import { parseUuidParam } from '@/lib/api/path-params';
import { requireUser } from '@/lib/api/require-user';
import { handleRoute } from '@/lib/api/route-handler';
import { resendWebhookDelivery } from '@/lib/webhooks/resend-webhook-delivery';

type Ctx = { params: Promise<{ id: string }> };

/** 202: the delivery is queued again with the same webhook-id; the log shows the new attempt. */
export const POST = handleRoute<Ctx>(async (request, { params }) => {
  const id = parseUuidParam((await params).id, 'webhook delivery id');
  const user = await requireUser(request);
  await resendWebhookDelivery(user.supabase, id);
  return Response.json({ queued: true }, { status: 202 });
});
