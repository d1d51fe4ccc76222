import { Loader2Icon, RadioIcon, WifiOffIcon } from 'lucide-react';
import type { ConnectionState } from '@/lib/realtime/connection-state';
import { cn } from '@/lib/utils';

const view: Record<ConnectionState, { label: string; icon: React.ReactNode; className: string }> = {
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

/** The live connection, visible: "Live", "Connecting…", "Reconnecting…" (a status role, read politely). */
export function ConnectionIndicator({ state, className }: { state: ConnectionState; className?: string }) {
  const v = view[state];
  return (
    <span
      role="status"
      className={cn('inline-flex items-center gap-1 text-xs font-medium', v.className, className)}
      data-connection={state}
    >
      {v.icon}
      {v.label}
    </span>
  );
}
