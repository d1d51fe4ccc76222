import type { RealtimeChannel } from '@supabase/supabase-js';
import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';
import { createClient } from '@/lib/supabase/client';

/** Channels of one topic being removed; a new channel of the topic waits for that to finish. */
const removals = new Map<string, Promise<unknown>>();

/**
 * Opens a Realtime channel once the socket carries the user's access token, and returns the cleanup.
 *
 * Right after a full page load the browser client has not read its session from the cookie yet, so a
 * channel joined at once goes up with the publishable key: a private channel is then refused
 * ("Unauthorized"). `realtime.setAuth()` without an argument reads the session first — the documented
 * step before subscribing to a private channel. realtime-js hands back an existing channel for a topic
 * it still knows, so a topic being removed is waited for before it is opened again.
 */
export function openChannel(setup: (supabase: TypedSupabaseClient) => RealtimeChannel): () => void {
  const supabase = createClient();
  let channel: RealtimeChannel | null = null;
  let disposed = false;
  void supabase.realtime
    .setAuth()
    .catch(() => undefined)
    .then(async () => {
      await Promise.all([...removals.values()]);
      if (!disposed) channel = setup(supabase);
    });
  return () => {
    disposed = true;
    if (!channel) return;
    const topic = channel.topic;
    const removal = supabase.removeChannel(channel).finally(() => {
      if (removals.get(topic) === removal) removals.delete(topic);
    });
    removals.set(topic, removal);
  };
}
