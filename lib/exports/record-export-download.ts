import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';
import type { BodyEnd } from '@/lib/download/audited-body';
import type { Downloader } from '@/lib/download/downloader';

/** One download as the audit keeps it: what was asked for, and what was sent. */
export type DownloadRecord = BodyEnd & {
  jobId: string;
  downloader: Downloader;
  form: string;
  partial: boolean;
  /** The byte range asked for, first and last byte; null for the whole file. */
  range: [number, number] | null;
  /** The whole file's size in this form. */
  size: number;
};

/**
 * Puts a download on the export's activity timeline and in the organisation's download log: by whom, through
 * which link or with which API token, which form, which range, how many bytes went out, whether it completed. Best
 * effort, after the response ended: the file matters more than its log line, so a failure here is
 * logged, never thrown.
 */
export async function recordExportDownload(admin: TypedSupabaseClient, download: DownloadRecord): Promise<void> {
  const { downloader } = download;
  const { error } = await admin.rpc('record_export_download', {
    p_job_id: download.jobId,
    p_actor: downloader.kind === 'user' ? downloader.userId : undefined,
    p_share_link_id: downloader.kind === 'share_link' ? downloader.linkId : undefined,
    p_detail: {
      form: download.form,
      partial: download.partial,
      range: download.range,
      size: download.size,
      bytes: download.bytes,
      outcome: download.outcome,
      ...(downloader.kind === 'share_link' ? { note: downloader.note } : {}),
      ...(downloader.kind === 'api_token' ? { apiTokenId: downloader.tokenId } : {}),
    },
  });
  if (error) console.warn(`[exports] could not record the download of ${download.jobId}: ${error.message}`);
}
