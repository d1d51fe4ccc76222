let counter = 0;

/**
 * A channel topic of its own for each subscription. realtime-js hands back an existing channel for a
 * topic it already knows, and `removeChannel` drops every channel of that topic — so an unmount and
 * remount with the same topic (React strict mode, a quick navigation back) leaves the new subscriber
 * on a channel that is being torn down, and its events are silently lost. postgres_changes does not
 * care about the topic's name; only the filters matter.
 */
export function uniqueTopic(name: string): string {
  counter += 1;
  return `${name}:${counter}-${Math.random().toString(36).slice(2, 8)}`;
}
