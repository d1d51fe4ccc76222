'use client';

import { format, formatDistanceToNowStrict } from 'date-fns';
import { useNow } from '@/components/hooks/use-now';

/**
 * "3 minutes ago", kept fresh every 30 s. The server render and the first client render print the UTC
 * timestamp (identical on both, so hydration matches); relative text and the local-time tooltip follow
 * once mounted.
 */
export function RelativeTime({ iso, className }: { iso: string; className?: string }) {
  const now = useNow(30_000);
  const date = new Date(iso);
  return (
    <time dateTime={iso} className={className} title={now ? format(date, 'PPpp') : undefined}>
      {now ? formatDistanceToNowStrict(date, { addSuffix: true }) : `${iso.slice(0, 16).replace('T', ' ')} UTC`}
    </time>
  );
}
