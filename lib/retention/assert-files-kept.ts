import { format } from 'date-fns';
import { AppError } from '@/lib/api/app-error';
import type { ExportJob } from '@/lib/exports/types';
import { filesExpiredAt } from './files-expired-at';

/** An export whose retention ran out has no file to send: 410, with the date and what to do instead. */
export function assertFilesKept(job: Pick<ExportJob, 'expires_at' | 'expired_at'>, now = new Date()): void {
  const expiredAt = filesExpiredAt(job, now);
  if (!expiredAt) return;
  throw new AppError(
    'gone',
    `The files of this export expired on ${format(new Date(expiredAt), 'd MMM yyyy')} and were removed under your organisation's retention period. Use "Run again" on its page to export the same records afresh.`,
    { expiredAt },
  );
}
