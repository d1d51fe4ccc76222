import type { ExportFormat, ExportJob } from '@/lib/exports/types';
import { filesExpiredAt } from '@/lib/retention/files-expired-at';

/**
 * The forms one export can be downloaded in, shared by the download route and the dashboard's button
 * (no server imports here). Every form is the same shards, so each has an exact size, byte ranges and
 * its own strong ETag.
 *
 * - `plain`: the file as the worker wrote it (UTF-8, no byte-order mark): the default, for scripts,
 *   databases, Google Sheets, Numbers.
 * - `excel` (CSV only): the same bytes after a UTF-8 byte-order mark. Excel opens a CSV without one in
 *   the machine's legacy code page, turning accents, Japanese, Arabic and emoji into mojibake; with it,
 *   Excel reads UTF-8.
 * - `gzip`: the plain file compressed (`.csv.gz`, `.ndjson.gz`): the shards' stored gzip members
 *   concatenated, so it too has an exact size and byte ranges; `gunzip` gives the plain file byte for
 *   byte. Only for exports whose shards are all stored as gzip (written since compressed storage).
 */
export const downloadForms = ['plain', 'excel', 'gzip'] as const;

/**
 * Whether an export's file can be downloaded now, and whether it is partial: a completed export's whole
 * file, or what a cancelled or failed one wrote (if anything). The page's button and the palette agree.
 */
export function downloadAvailability(
  job: Pick<ExportJob, 'status' | 'shards_written'> & Partial<Pick<ExportJob, 'expires_at' | 'expired_at'>>,
  now: Date = new Date(),
): {
  available: boolean;
  partial: boolean;
} {
  const partial = job.status === 'cancelled' || job.status === 'failed';
  // Expired: the files are removed or being removed (the route answers 410, a share link 404).
  if (filesExpiredAt(job, now)) return { available: false, partial };
  return { available: job.status === 'completed' || (partial && job.shards_written > 0), partial };
}
export type DownloadForm = (typeof downloadForms)[number];

/** EF BB BF: U+FEFF encoded in UTF-8. */
const UTF8_BOM = new Uint8Array([0xef, 0xbb, 0xbf]);

export function formsFor(format: ExportFormat): DownloadForm[] {
  return format === 'csv' ? ['plain', 'excel', 'gzip'] : ['plain', 'gzip'];
}

/** The forms an export's file has: the gzip form only where the shards are stored compressed. */
export function formsOffered(
  job: Pick<ExportJob, 'format' | 'shards_written' | 'bytes_written' | 'gzip_bytes_written'>,
): DownloadForm[] {
  return formsFor(job.format).filter((form) => form !== 'gzip' || formSize(job, form) !== null);
}

/** Bytes the form puts before the first shard: counted in Content-Length and byte ranges like any other. */
export function formPrefix(form: DownloadForm): Uint8Array {
  return form === 'excel' ? UTF8_BOM : new Uint8Array(0);
}

/**
 * Exact size of a form from the job row, whose `bytes_written` is the plain file's size (the state machine
 * keeps it so: every shard's header but the first stripped), or null for a CSV export with no rows: its
 * file is the header row alone, which the row does not count. The gzip form's is `gzip_bytes_written`,
 * null when the export has no compressed form (shards stored plain, written before compressed storage).
 */
export function formSize(
  job: Pick<ExportJob, 'format' | 'shards_written' | 'bytes_written' | 'gzip_bytes_written'>,
  form: DownloadForm,
): number | null {
  if (form === 'gzip') return job.shards_written === 0 ? null : job.gzip_bytes_written;
  if (job.format === 'csv' && job.shards_written === 0) return null;
  return job.bytes_written + formPrefix(form).length;
}

/** `-excel` in the file name, so both forms can sit side by side in a downloads folder. */
export function formFilenameSuffix(form: DownloadForm): string {
  return form === 'excel' ? '-excel' : '';
}

/** The file name's extension: the format's, and `.gz` after it for the compressed form. */
export function formExtension(format: ExportFormat, form: DownloadForm): string {
  return form === 'gzip' ? `${format}.gz` : format;
}

/** The route's URL for one form; `partial` asks for what a cancelled or failed export wrote. */
export function downloadHref(jobId: string, options: { form: DownloadForm; partial: boolean }): string {
  const query = new URLSearchParams();
  if (options.partial) query.set('partial', '1');
  if (options.form !== 'plain') query.set('form', options.form);
  const search = query.toString();
  return `/api/exports/${jobId}/download${search ? `?${search}` : ''}`;
}
