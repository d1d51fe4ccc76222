'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { BellIcon, CheckCircle2Icon, CircleSlashIcon, XCircleIcon } from 'lucide-react';
import Link from 'next/link';
import { usePathname, useRouter } from 'next/navigation';
import { useEffect, useRef, useState } from 'react';
import { toast } from 'sonner';
import { Button } from '@/components/ui/button';
import { RelativeTime } from '@/components/ui/relative-time';
import { Popover, PopoverContent, PopoverTrigger } from '@/components/ui/popover';
import type { Notification } from '@/lib/exports/types';
import { unreadCount } from '@/lib/queries/notification-cache';
import { markNotificationsReadMutationOptions } from '@/lib/queries/notifications-mutation';
import { notificationsQueryOptions } from '@/lib/queries/notifications-query';
import { useNotificationsSubscription } from '@/lib/realtime/use-notifications-subscription';
import { cn } from '@/lib/utils';

const kindIcon = {
  export_completed: <CheckCircle2Icon className="text-state-done-ink size-4" aria-hidden />,
  export_failed: <XCircleIcon className="text-state-failed-ink size-4" aria-hidden />,
  export_cancelled: <CircleSlashIcon className="text-state-cancelled-ink size-4" aria-hidden />,
} satisfies Record<Notification['kind'], React.ReactNode>;

/** How long the panel must be open before what it shows counts as seen. */
const SEEN_AFTER_MS = 1_500;

export function NotificationBell({ userId }: { userId: string }) {
  const queryClient = useQueryClient();
  const router = useRouter();
  const { data: notifications, isError } = useQuery(notificationsQueryOptions(userId));
  const markRead = useMutation(markNotificationsReadMutationOptions(queryClient, userId));
  const unread = unreadCount(notifications);
  const { mutate: markReadNow } = markRead;
  // Each notification is marked read once by being seen (a failed write is not retried in a loop).
  const marked = useRef(new Set<string>());
  const [open, setOpen] = useState(false);
  // Shown as new while the panel is open, even once marked read: the dot should not vanish under the eye.
  const [newThisOpen, setNewThisOpen] = useState<ReadonlySet<string>>(new Set());
  const pathname = usePathname();

  // Seen is read: the panel open for a moment marks what it shows; so does the export's own page.
  useEffect(() => {
    if (!open || !notifications) return;
    const ids = notifications.filter((n) => !n.read_at && !marked.current.has(n.id)).map((n) => n.id);
    if (ids.length === 0) return;
    const timer = setTimeout(() => {
      for (const id of ids) marked.current.add(id);
      markReadNow(ids);
    }, SEEN_AFTER_MS);
    return () => clearTimeout(timer);
  }, [open, notifications, markReadNow]);
  const viewingJob = /^\/exports\/([0-9a-f-]{36})$/.exec(pathname ?? '')?.[1] ?? null;
  useEffect(() => {
    if (!viewingJob || !notifications) return;
    const ids = notifications
      .filter((n) => !n.read_at && n.job_id === viewingJob && !marked.current.has(n.id))
      .map((n) => n.id);
    if (ids.length === 0) return;
    for (const id of ids) marked.current.add(id);
    markReadNow(ids);
  }, [viewingJob, notifications, markReadNow]);

  useNotificationsSubscription(userId, (n) => {
    const show = n.kind === 'export_failed' ? toast.error : n.kind === 'export_completed' ? toast.success : toast.info;
    show(n.title, {
      id: `notification-${n.id}`,
      // An outcome people wait for: longer than sonner's 4 s, and the bell keeps it anyway.
      duration: 10_000,
      description: n.body,
      action: {
        label: 'View',
        onClick: () => {
          markRead.mutate([n.id]);
          router.push(`/exports/${n.job_id}`);
        },
      },
    });
  });

  return (
    <Popover
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        setNewThisOpen(next ? new Set((notifications ?? []).filter((n) => !n.read_at).map((n) => n.id)) : new Set());
      }}
    >
      <PopoverTrigger asChild>
        <Button variant="ghost" size="icon" className="relative">
          <BellIcon aria-hidden />
          <span className="sr-only">{unread > 0 ? `Notifications, ${unread} unread` : 'Notifications'}</span>
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
      <PopoverContent aria-label="Notifications" className="w-96">
        <div className="flex items-center justify-between border-b border-neutral-200 px-4 py-2">
          <h2 className="text-sm font-semibold">Notifications</h2>
          <Button
            variant="link"
            size="sm"
            className="h-auto px-0"
            disabled={unread === 0}
            onClick={() => markRead.mutate((notifications ?? []).filter((n) => !n.read_at).map((n) => n.id))}
          >
            Mark all as read
          </Button>
        </div>
        {isError ? (
          <p className="px-4 py-6 text-sm text-red-700">Notifications could not be loaded.</p>
        ) : !notifications || notifications.length === 0 ? (
          <p className="px-4 py-6 text-sm text-neutral-600">
            No notifications yet. You will hear here when an export ends.
          </p>
        ) : (
          <ul className="max-h-96 divide-y divide-neutral-100 overflow-y-auto" aria-label="Recent notifications">
            {notifications.map((n) => (
              <li key={n.id}>
                <Link
                  href={`/exports/${n.job_id}`}
                  onClick={() => {
                    if (!n.read_at) markRead.mutate([n.id]);
                  }}
                  className={cn(
                    'flex gap-3 px-4 py-3 text-sm hover:bg-neutral-50 focus-visible:outline-2 focus-visible:-outline-offset-2 focus-visible:outline-blue-600',
                    (!n.read_at || newThisOpen.has(n.id)) && 'bg-blue-50/60',
                  )}
                >
                  <span className="mt-0.5">{kindIcon[n.kind]}</span>
                  <span className="flex min-w-0 flex-1 flex-col gap-0.5">
                    <span className="font-medium">
                      {n.title}
                      {!n.read_at || newThisOpen.has(n.id) ? <span className="sr-only"> (new)</span> : null}
                    </span>
                    <span className="text-neutral-600">{n.body}</span>
                    {/* neutral-600, not 500: the unread row's blue tint would take 500 below 4.5:1. */}
                    <RelativeTime iso={n.created_at} className="text-xs text-neutral-600" />
                  </span>
                  {!n.read_at || newThisOpen.has(n.id) ? (
                    <span aria-hidden className="mt-1.5 size-2 shrink-0 rounded-full bg-blue-600" />
                  ) : null}
                </Link>
              </li>
            ))}
          </ul>
        )}
      </PopoverContent>
    </Popover>
  );
}
