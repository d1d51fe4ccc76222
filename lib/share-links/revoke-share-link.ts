import { rpcError } from '@/lib/api/rpc-error';
import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';

/**
 * Stops a link at once: its next request, page or download, is a 404. Any member (support, admin) of
 * the export's organisation may revoke any of its links; revoking a revoked link changes nothing.
 * Responses already streaming finish; nothing new starts.
 */
export async function revokeShareLink(
  deps: { user: { supabase: TypedSupabaseClient } },
  linkId: string,
): Promise<void> {
  const { error } = await deps.user.supabase.rpc('revoke_export_share_link', { p_link_id: linkId });
  if (error) throw rpcError(error, `Revoking share link ${linkId}`);
}
