import { format } from 'date-fns';
import { AppError } from '@/lib/api/app-error';
import type { ExportJob } from '@/lib/exports/types';

/**
 * An export whose retention ran out has no file to send: 410, whether the sweep has removed its objects
 * yet (`expired_at`) or not (`expires_at` passed: the removal may be under way, so no byte is promised).
 */
export function assertFilesKept(job: Pick<ExportJob, 'expires_at' | 'expired_at'>, now = new Date()): void {
  const expiredAt = job.expired_at ?? (job.expires_at && new Date(job.expires_at) <= now ? job.expires_at : null);
  if (!expiredAt) return;
  throw new AppError(
    'gone',
    `The files of this export expired on ${format(new Date(expiredAt), 'd MMM yyyy')} and were removed under your organisation's retention period. Use "Run again" on its page to export the same records afresh.`,
    { expiredAt },
  );
}
