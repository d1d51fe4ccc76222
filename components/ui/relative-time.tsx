'use client';

import { format, formatDistanceStrict } from 'date-fns';
import { useState } from 'react';
import { useNow } from '@/components/hooks/use-now';

/** "3 minutes ago" in whole units, rounded down, so it moves only when the unit changes. */
export function relativeText(date: Date, now: number): string {
  if (now - date.getTime() < 60_000) return 'less than a minute ago';
  return formatDistanceStrict(date, now, { addSuffix: true, roundingMethod: 'floor' });
}

/**
 * "3 minutes ago", refreshed every 30 s. The server renders the same relative form (its clock and the
 * browser's differ by milliseconds, so the text is the same or one unit apart, and React keeps the
 * server's text at hydration): the time never flips from a timestamp to a phrase. The exact local time
 * is in the tooltip.
 */
export function RelativeTime({ iso, className }: { iso: string; className?: string }) {
  const ticking = useNow(30_000);
  // The first render's clock (server or browser), until the 30 s tick takes over.
  const [rendered] = useState(() => Date.now());
  const date = new Date(iso);
  const now = ticking || rendered;
  return (
    <time dateTime={iso} className={className} title={format(date, 'PPpp')} suppressHydrationWarning>
      {relativeText(date, now)}
    </time>
  );
}
