'use client';

import { format } from 'date-fns';
import { useState } from 'react';
import { useNow } from '@/components/hooks/use-now';
import { expiryText, type ExpiryFields } from '@/lib/view-model/expiry';

/** "Expires in 3 days" (the exact date in the tooltip), refreshed every minute; nothing while it runs. */
export function ExpiryNote({ job, className }: { job: ExpiryFields; className?: string }) {
  const ticking = useNow(60_000);
  const [rendered] = useState(() => Date.now());
  const text = expiryText(job, ticking || rendered);
  if (!text) return null;
  const at = job.expired_at ?? job.expires_at;
  return (
    <span className={className} title={at ? format(new Date(at), 'PPpp') : undefined} suppressHydrationWarning>
      {text}
    </span>
  );
}
