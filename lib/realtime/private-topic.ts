import type { RealtimeChannel } from '@supabase/supabase-js';
import { openChannel } from './open-channel';

/** What a database trigger broadcasts with `realtime.broadcast_changes()` (docs/protocols-2026.md §3.4). */
export type RowChange<Row> = {
  operation: 'INSERT' | 'UPDATE' | 'DELETE';
  table: string;
  schema: string;
  record: Row | null;
  old_record: Row | null;
};

export type TopicListener = {
  /**
   * A message broadcast on the topic: its payload (a `RowChange` on job and notification topics, the list
   * feed's own shape on an organisation's list topic) and its event.
   */
  onChange: (payload: unknown, event: string) => void;
  /** The channel's status (SUBSCRIBED after every join and rejoin, CHANNEL_ERROR, …). */
  onStatus: (status: string) => void;
};

type Entry = {
  listeners: Set<TopicListener>;
  status: string | null;
  close: () => void;
  lingering: ReturnType<typeof setTimeout> | null;
};

const entries = new Map<string, Entry>();

/**
 * An unmount followed at once by a mount of the same topic (React strict mode, a quick way back)
 * reuses the channel instead of leaving and re-joining it.
 */
const LINGER_MS = 1_000;

function join(topic: string, entry: Entry): () => void {
  return openChannel(
    (supabase) =>
      supabase
        .channel(topic, { config: { private: true } })
        .on('broadcast', { event: '*' }, (message: { event: string; payload?: unknown }) => {
          for (const l of entry.listeners) l.onChange(message.payload, message.event);
        })
        .subscribe((status) => {
          entry.status = status;
          for (const l of entry.listeners) l.onStatus(status);
        }) as RealtimeChannel,
  );
}

/**
 * Leaves and joins a topic again, for its current listeners: used when a channel that says SUBSCRIBED
 * has gone silent for longer than the job's updates allow (a half-dead socket delivers nothing and
 * reports nothing until its heartbeat times out, up to a minute later).
 */
export function rejoinPrivateTopic(topic: string): void {
  const entry = entries.get(topic);
  if (!entry) return;
  entry.close();
  entry.status = null;
  for (const l of entry.listeners) l.onStatus('REJOINING');
  entry.close = join(topic, entry);
}

/**
 * Listens to a private Broadcast topic (`export:<job id>`, `org:<id>:exports`, `user:<id>:notifications`),
 * sharing one channel among all listeners of the topic: realtime-js keeps one channel per topic and
 * Realtime one join per topic and socket, so two hooks on one topic must not each join and leave it.
 * Realtime lets the join through only if the `realtime.messages` policies allow this user the topic.
 * Returns the unsubscribe.
 */
export function listenToPrivateTopic(topic: string, listener: TopicListener): () => void {
  let entry = entries.get(topic);
  if (!entry) {
    const created: Entry = { listeners: new Set(), status: null, close: () => {}, lingering: null };
    created.close = join(topic, created);
    entries.set(topic, created);
    entry = created;
  }
  const current = entry;
  if (current.lingering) clearTimeout(current.lingering);
  current.lingering = null;
  current.listeners.add(listener);
  // A listener joining a live channel does its fresh read too.
  if (current.status) listener.onStatus(current.status);

  return () => {
    current.listeners.delete(listener);
    if (current.listeners.size > 0) return;
    current.lingering = setTimeout(() => {
      if (current.listeners.size > 0 || entries.get(topic) !== current) return;
      entries.delete(topic);
      current.close();
    }, LINGER_MS);
  };
}
