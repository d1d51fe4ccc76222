import { AppError } from '@/lib/api/app-error';
import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';

/** "Send again": the same message, with the same webhook-id, now. */
export async function resendWebhookDelivery(supabase: TypedSupabaseClient, deliveryId: string): Promise<void> {
  const { error } = await supabase.rpc('resend_webhook_delivery', { p_delivery_id: deliveryId });
  if (error?.code === 'P0002') throw new AppError('not_found', error.message);
  if (error) throw new Error(`Sending the delivery again failed: ${error.message}`);
}
