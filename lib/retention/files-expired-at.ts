import type { ExportJob } from '@/lib/exports/types';

/**
 * When an export's files stopped being kept, or null while they are: removed by the sweep (`expired_at`),
 * or past their date (`expires_at`) with the removal perhaps under way, so no byte is promised any more.
 * The download route (410), share links (404) and the page's button all ask this one question.
 */
export function filesExpiredAt(
  job: Partial<Pick<ExportJob, 'expires_at' | 'expired_at'>>,
  now: Date = new Date(),
): string | null {
  if (job.expired_at) return job.expired_at;
  return job.expires_at && new Date(job.expires_at) <= now ? job.expires_at : null;
}
