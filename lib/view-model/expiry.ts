import { format, formatDistanceStrict } from 'date-fns';
import type { ExportJob } from '@/lib/exports/types';

export type ExpiryFields = Pick<ExportJob, 'expires_at' | 'expired_at' | 'kept_until'>;

/**
 * When an export's files leave storage, in words: "Expires in 3 days", "Kept until 3 Mar 2027", "Expired
 * 2 Dec 2026". Null while the export runs (its files expire only once it has ended).
 */
export function expiryText(job: ExpiryFields, now: number): string | null {
  if (job.expired_at) return `Expired ${format(new Date(job.expired_at), 'd MMM yyyy')}`;
  if (!job.expires_at) return null;
  const expires = new Date(job.expires_at);
  if (expires.getTime() <= now) return 'Expiring now';
  if (job.kept_until && new Date(job.kept_until).getTime() >= expires.getTime()) {
    return `Kept until ${format(expires, 'd MMM yyyy')}`;
  }
  return `Expires ${formatDistanceStrict(expires, now, { addSuffix: true })}`;
}
