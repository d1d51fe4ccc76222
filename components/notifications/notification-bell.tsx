'use client';

import { useMutation, useMutationState, useQuery, useQueryClient } from '@tanstack/react-query';
import { BellIcon } from 'lucide-react';
import { usePathname, useRouter } from 'next/navigation';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { toast } from 'sonner';
import { Button } from '@/components/ui/button';
import { Popover, PopoverContent, PopoverTrigger } from '@/components/ui/popover';
import type { Notification } from '@/lib/exports/types';
import { markNotificationsReadKey, markNotificationsReadMutationOptions } from '@/lib/queries/notifications-mutation';
import { notificationsQueryOptions } from '@/lib/queries/notifications-query';
import { useNotificationsSubscription } from '@/lib/realtime/use-notifications-subscription';
import { exportsCount } from '@/lib/view-model/format';
import {
  groupNotificationsByExport,
  notificationHref,
  notificationText,
  unreadExportCount,
} from '@/lib/view-model/notification-feed';
import { NotificationEntry } from './notification-entry';

/** How long the panel must be open before what it shows counts as seen (closing it counts too). */
const SEEN_AFTER_MS = 1_500;

export function NotificationBell({ userId }: { userId: string }) {
  const queryClient = useQueryClient();
  const router = useRouter();
  const { data: notifications, isError } = useQuery(notificationsQueryOptions(userId));
  const markRead = useMutation(markNotificationsReadMutationOptions(queryClient, userId));
  // Ids whose read is on its way: read, whatever a list read that crossed the write says meanwhile.
  const pendingReads = useMutationState({
    filters: { mutationKey: markNotificationsReadKey(userId), status: 'pending' },
    select: (mutation) => mutation.state.variables as string[],
  });
  const pending = useMemo(() => new Set(pendingReads.flat()), [pendingReads]);
  const groups = useMemo(
    () => groupNotificationsByExport(notifications ?? [], (n) => n.read_at !== null || pending.has(n.id)),
    [notifications, pending],
  );
  const unreadIds = useMemo(() => groups.flatMap((g) => g.unreadIds), [groups]);
  const unread = unreadExportCount(groups);
  const { mutate } = markRead;
  // Each notification is marked read once by being seen; a write that failed lets it be marked again.
  const marked = useRef(new Set<string>());
  const markSeen = useCallback(
    (ids: readonly string[]) => {
      const fresh = ids.filter((id) => !marked.current.has(id));
      if (fresh.length === 0) return;
      for (const id of fresh) marked.current.add(id);
      mutate(fresh, { onError: () => fresh.forEach((id) => marked.current.delete(id)) });
    },
    [mutate],
  );
  const [open, setOpen] = useState(false);
  // Shown as new while the panel is open, even once marked read: the dot should not vanish under the eye.
  const [newThisOpen, setNewThisOpen] = useState<ReadonlySet<string>>(new Set());
  const pathname = usePathname();

  // Seen is read: the panel open for a moment marks what it shows; so does the export's own page.
  useEffect(() => {
    if (!open || unreadIds.length === 0) return;
    const timer = setTimeout(() => markSeen(unreadIds), SEEN_AFTER_MS);
    return () => clearTimeout(timer);
  }, [open, unreadIds, markSeen]);
  const viewingJob = /^\/exports\/([0-9a-f-]{36})$/.exec(pathname ?? '')?.[1] ?? null;
  useEffect(() => {
    const viewed = groups.find((g) => g.jobId === viewingJob);
    if (viewed) markSeen(viewed.unreadIds);
  }, [viewingJob, groups, markSeen]);

  useNotificationsSubscription(userId, (n) => {
    const show =
      n.kind === 'export_failed' || n.kind === 'webhook_disabled'
        ? toast.error
        : n.kind === 'export_completed'
          ? toast.success
          : toast.info;
    show(n.title, {
      id: `notification-${n.id}`,
      // An outcome people wait for: longer than sonner's 4 s, and the bell keeps it anyway.
      duration: 10_000,
      // The plain sentence; the raw error is one click away on the export's page (and in the bell).
      description: notificationText(n).sentence,
      action: {
        label: 'View',
        onClick: () => {
          markSeen([n.id]);
          router.push(notificationHref(n));
        },
      },
    });
  });

  const isNew = (n: Notification) => unreadIds.includes(n.id) || newThisOpen.has(n.id);

  return (
    <Popover
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        setNewThisOpen(next ? new Set(unreadIds) : new Set());
        // Closed before the moment was up: what it showed was seen all the same.
        if (!next) markSeen(unreadIds);
      }}
    >
      <PopoverTrigger asChild>
        <Button variant="ghost" size="icon" className="relative">
          <BellIcon aria-hidden />
          <span className="sr-only">
            {unread > 0 ? `Notifications, ${exportsCount(unread)} unread` : 'Notifications'}
          </span>
          {unread > 0 ? (
            <span
              aria-hidden
              className="absolute -top-0.5 -right-0.5 flex h-4 min-w-4 items-center justify-center rounded-full bg-red-700 px-1 text-[10px] leading-none font-semibold text-white"
            >
              {unread > 9 ? '9+' : unread}
            </span>
          ) : null}
        </Button>
      </PopoverTrigger>
      <PopoverContent aria-label="Notifications" className="w-[min(24rem,calc(100vw-1rem))]">
        <div className="flex items-start justify-between gap-3 border-b border-neutral-200 px-4 py-2">
          <div className="flex flex-col">
            <h2 className="text-sm font-semibold">Notifications</h2>
            {/* What the badge counts, said where the count is read. */}
            <p className="text-xs text-neutral-600">
              One entry per export, latest outcome first · {unread > 0 ? `${exportsCount(unread)} unread` : 'all read'}
            </p>
          </div>
          <Button
            variant="link"
            size="sm"
            className="h-auto shrink-0 px-0"
            disabled={unread === 0}
            onClick={() => markSeen(unreadIds)}
          >
            Mark all as read
          </Button>
        </div>
        {isError ? (
          <p className="px-4 py-6 text-sm text-red-700">Notifications could not be loaded.</p>
        ) : groups.length === 0 ? (
          <p className="px-4 py-6 text-sm text-neutral-600">
            No notifications yet. You will hear here when an export ends.
          </p>
        ) : (
          <ul className="max-h-96 divide-y divide-neutral-100 overflow-y-auto" aria-label="Recent notifications">
            {groups.map((group) => (
              <NotificationEntry key={group.key} group={group} isNew={isNew} onOpen={() => markSeen(group.unreadIds)} />
            ))}
          </ul>
        )}
      </PopoverContent>
    </Popover>
  );
}
