'use client';

import { CheckCircle2Icon, CircleSlashIcon, HourglassIcon, UnplugIcon, XCircleIcon } from 'lucide-react';
import Link from 'next/link';
import { RelativeTime } from '@/components/ui/relative-time';
import type { Notification } from '@/lib/exports/types';
import { cn } from '@/lib/utils';
import { notificationText, type NotificationGroup } from '@/lib/view-model/notification-feed';
import { TechnicalDetails } from '@/components/ui/technical-details';

const kindIcon = {
  export_completed: <CheckCircle2Icon className="text-state-done-ink size-4 shrink-0" aria-hidden />,
  export_failed: <XCircleIcon className="text-state-failed-ink size-4 shrink-0" aria-hidden />,
  export_cancelled: <CircleSlashIcon className="text-state-cancelled-ink size-4 shrink-0" aria-hidden />,
  export_approval_requested: <HourglassIcon className="size-4 shrink-0 text-amber-800" aria-hidden />,
  webhook_disabled: <UnplugIcon className="text-state-failed-ink size-4 shrink-0" aria-hidden />,
} satisfies Record<Notification['kind'], React.ReactNode>;

const kindLabel = {
  export_completed: 'Completed',
  export_failed: 'Failed',
  export_cancelled: 'Cancelled',
  export_approval_requested: 'Approval needed',
  webhook_disabled: 'Webhook disabled',
} satisfies Record<Notification['kind'], string>;

/** The bell's folds are smaller, with a focus ring that shows on the popover's white. */
const SUMMARY_EXTRA = 'text-xs focus-visible:outline-2 focus-visible:outline-blue-600';
/** The "N earlier" fold's summary, styled as the Technical details ones. */
const summaryClass = `w-fit cursor-pointer text-neutral-700 underline-offset-2 hover:underline ${SUMMARY_EXTRA}`;

/**
 * One export in the bell: its latest outcome as a link to the export page, in plain words; the raw error
 * and the export's earlier outcomes folded beneath it (outside the link, so each is its own control).
 */
export function NotificationEntry({
  group,
  isNew,
  onOpen,
}: {
  group: NotificationGroup;
  /** Shown as new: unread, or unread when the panel opened. */
  isNew: (n: Notification) => boolean;
  onOpen: () => void;
}) {
  const { latest, earlier } = group;
  const text = notificationText(latest);
  const highlighted = isNew(latest) || earlier.some(isNew);
  return (
    <li className={cn('flex flex-col', highlighted && 'bg-blue-50/60')}>
      <Link
        href={group.href}
        onClick={onOpen}
        className="flex gap-3 px-4 pt-3 pb-1 text-sm hover:bg-neutral-50 focus-visible:outline-2 focus-visible:-outline-offset-2 focus-visible:outline-blue-600"
      >
        <span className="mt-0.5">{kindIcon[latest.kind]}</span>
        <span className="flex min-w-0 flex-1 flex-col gap-0.5">
          <span className="font-medium break-words">
            {latest.title}
            {isNew(latest) ? <span className="sr-only"> (new)</span> : null}
          </span>
          <span className="text-neutral-700">{text.sentence}</span>
          {/* neutral-600, not 500: the unread row's blue tint would take 500 below 4.5:1. */}
          <RelativeTime iso={latest.created_at} className="text-xs text-neutral-600" />
        </span>
        {highlighted ? <span aria-hidden className="mt-1.5 size-2 shrink-0 rounded-full bg-blue-600" /> : null}
      </Link>
      <div className="flex flex-col gap-1 pr-4 pb-3 pl-11 text-sm">
        {text.detail ? (
          <TechnicalDetails summaryClassName={SUMMARY_EXTRA}>
            <p className="mt-1 font-mono text-xs break-all text-neutral-800">
              {latest.error_kind ? `${latest.error_kind}: ` : ''}
              {text.detail}
            </p>
          </TechnicalDetails>
        ) : null}
        {earlier.length > 0 ? (
          <details>
            <summary className={summaryClass}>
              {earlier.length} earlier
              {earlier.some(isNew) ? <span className="sr-only"> (new among them)</span> : null}
            </summary>
            <ul className="mt-1 flex flex-col gap-2" aria-label="Earlier outcomes of this export">
              {earlier.map((n) => (
                <EarlierOutcome key={n.id} notification={n} isNew={isNew(n)} />
              ))}
            </ul>
          </details>
        ) : null}
      </div>
    </li>
  );
}

function EarlierOutcome({ notification: n, isNew }: { notification: Notification; isNew: boolean }) {
  const text = notificationText(n);
  return (
    <li className="flex gap-2 text-xs">
      <span className="mt-px">{kindIcon[n.kind]}</span>
      <span className="flex min-w-0 flex-col gap-0.5">
        <span className="font-medium">
          {kindLabel[n.kind]} · run {n.run_no}
          {isNew ? <span className="sr-only"> (new)</span> : null}
        </span>
        <span className="text-neutral-700">{text.sentence}</span>
        {text.detail ? (
          <TechnicalDetails summaryClassName={SUMMARY_EXTRA}>
            <p className="mt-1 font-mono break-all text-neutral-800">
              {n.error_kind ? `${n.error_kind}: ` : ''}
              {text.detail}
            </p>
          </TechnicalDetails>
        ) : null}
        <RelativeTime iso={n.created_at} className="text-neutral-600" />
      </span>
    </li>
  );
}
