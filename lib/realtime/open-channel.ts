import type { RealtimeChannel, SupabaseClient } from '@supabase/supabase-js';
import { createClient } from '@/lib/supabase/client';

/**
 * Opens a Realtime channel once the socket carries the user's access token, and returns the cleanup.
 *
 * Right after a full page load the browser client has not read its session from the cookie yet, so a
 * channel joined at once goes up with the anon key: RLS then delivers nothing (hosted Realtime) or an
 * "Unauthorized" payload (devstack). `realtime.setAuth()` without an argument reads the session first —
 * the documented step before subscribing to RLS-protected changes.
 */
export function openChannel(setup: (supabase: SupabaseClient) => RealtimeChannel): () => void {
  const supabase = createClient();
  let channel: RealtimeChannel | null = null;
  let disposed = false;
  void supabase.realtime
    .setAuth()
    .catch(() => undefined)
    .then(() => {
      if (!disposed) channel = setup(supabase);
    });
  return () => {
    disposed = true;
    if (channel) void supabase.removeChannel(channel);
  };
}
