import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';

/**
 * Puts a download on the export's activity timeline: who (a person, or no one and the API token it came
 * with), which form, whether partial, how many bytes.
 * Only whole-file requests count (a resumed range is the same download). Best effort: the file matters
 * more than its log line, so a failure here is logged and the download goes on.
 */
export async function recordExportDownload(
  admin: TypedSupabaseClient,
  download: {
    jobId: string;
    userId: string | null;
    apiTokenId?: string;
    form: string;
    partial: boolean;
    bytes: number;
  },
): Promise<void> {
  const { error } = await admin.rpc('record_export_download', {
    p_job_id: download.jobId,
    // Null for a token's download: the generated types make every argument non-null, SQL takes null.
    p_actor: download.userId as string,
    p_detail: {
      form: download.form,
      partial: download.partial,
      bytes: download.bytes,
      ...(download.apiTokenId ? { apiTokenId: download.apiTokenId } : {}),
    },
  });
  if (error) console.warn(`[exports] could not record the download of ${download.jobId}: ${error.message}`);
}
