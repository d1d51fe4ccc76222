import { format } from 'date-fns';
import { Loader2Icon, RadioIcon, WifiOffIcon } from 'lucide-react';
import type { Liveness } from '@/lib/realtime/liveness';
import { cn } from '@/lib/utils';

const view: Record<Liveness['state'], { label: string; icon: React.ReactNode; className: string }> = {
  live: { label: 'Live', icon: <RadioIcon aria-hidden className="size-3.5" />, className: 'text-state-done-ink' },
  connecting: {
    label: 'Connecting…',
    icon: <Loader2Icon aria-hidden className="size-3.5 motion-safe:animate-spin" />,
    className: 'text-neutral-600',
  },
  reconnecting: {
    label: 'Reconnecting…',
    icon: <WifiOffIcon aria-hidden className="size-3.5" />,
    className: 'text-state-cancelled-ink',
  },
};

/** "12 s ago", "3 min ago": short and in whole units, so it does not jitter between forms. */
export function agoText(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s} s ago`;
  const m = Math.round(s / 60);
  return m < 90 ? `${m} min ago` : `${Math.round(m / 60)} h ago`;
}

/**
 * The live connection, visible and honest: "Live" only when the channel, the browser and the flow of
 * updates agree; otherwise "Reconnecting… last update 12 s ago" (offline said so). The status role is
 * read politely on state changes; the ticking seconds are hidden from screen readers, which get the
 * time of the last update instead.
 */
export function ConnectionIndicator({ live, now, className }: { live: Liveness; now: number; className?: string }) {
  const v = view[live.state];
  const showAge = live.state === 'reconnecting' && live.lastUpdateAt !== null && now > 0;
  return (
    <span
      className={cn('inline-flex items-center gap-1 text-xs font-medium', v.className, className)}
      data-connection={live.state}
      data-reason={live.reason ?? undefined}
      data-testid="connection"
      data-last-update={live.lastUpdateAt ?? undefined}
    >
      {v.icon}
      <span role="status">
        {v.label}
        {live.reason === 'offline' ? ' (you are offline)' : ''}
        {showAge ? <span className="sr-only"> Last update at {format(live.lastUpdateAt!, 'HH:mm:ss')}.</span> : null}
      </span>
      {showAge ? <span aria-hidden>last update {agoText(now - live.lastUpdateAt!)}</span> : null}
    </span>
  );
}
