import type { Notification } from '@/lib/exports/types';

/** The bell shows the newest few; older ones live on the export pages they link to. */
export const NOTIFICATION_LIMIT = 30;

/** Prepends a notification that arrived over Realtime; a duplicate delivery is ignored. */
export function prependNotification(list: readonly Notification[] | undefined, item: Notification): Notification[] {
  if (list?.some((n) => n.id === item.id)) return list.slice();
  return [item, ...(list ?? [])].slice(0, NOTIFICATION_LIMIT);
}

export const unreadCount = (list: readonly Notification[] | undefined): number =>
  list?.filter((n) => !n.read_at).length ?? 0;
