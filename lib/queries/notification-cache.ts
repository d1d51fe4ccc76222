import type { Notification } from '@/lib/exports/types';

/** The bell shows the newest few; older ones live on the export pages they link to. */
export const NOTIFICATION_LIMIT = 30;

/** Prepends a notification that arrived over Realtime; a duplicate delivery is ignored. */
export function prependNotification(list: readonly Notification[] | undefined, item: Notification): Notification[] {
  if (list?.some((n) => n.id === item.id)) return list.slice();
  return [item, ...(list ?? [])].slice(0, NOTIFICATION_LIMIT);
}

/** The list with the given rows' read_at (a mark-read's answer, a read broadcast from another tab). */
export function withReadAt(
  list: readonly Notification[] | undefined,
  rows: readonly Pick<Notification, 'id' | 'read_at'>[],
): Notification[] | undefined {
  if (!list) return undefined;
  const readAt = new Map(rows.map((r) => [r.id, r.read_at]));
  return list.map((n) => (readAt.has(n.id) ? { ...n, read_at: readAt.get(n.id) ?? null } : n));
}
