import { rpcError } from '@/lib/api/rpc-error';
import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';
import { encodeShard } from '@/supabase/functions/_shared/export-format.ts';

/** PostgREST answers at most 1,000 rows a request (hosted default `max-rows`). */
const PAGE = 1000;

const COLUMNS = [
  'at',
  'export_id',
  'export_name',
  'downloaded_by',
  'share_link_id',
  'share_link_note',
  'form',
  'partial',
  'range_first',
  'range_last',
  'file_bytes',
  'bytes_sent',
  'outcome',
] as const;

/**
 * The organisation's download log as CSV (one row a download: dashboard or share link, whole file or
 * range, completed or cut), for its admins; 403 with the database's sentence for anyone else, before
 * any byte. Streamed a page of rows at a time, so a long log costs one page of memory. Encoded by the
 * worker's own CSV encoder (RFC 4180, CRLF) with its formula guard on: export names and link notes are
 * free text, and one starting with "=" must not run in a spreadsheet.
 */
export async function downloadLogCsv(
  client: TypedSupabaseClient,
  organisationId: string,
): Promise<ReadableStream<Uint8Array>> {
  const page = async (from: number) => {
    const { data, error } = await client
      .rpc('organisation_download_log', { p_organisation_id: organisationId })
      .range(from, from + PAGE - 1);
    if (error) throw rpcError(error, `Reading the download log of organisation ${organisationId}`);
    return data;
  };
  let rows = await page(0);
  let offset = 0;
  let header = true;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (rows.length === 0 && !header) {
        controller.close();
        return;
      }
      const { bytes, headerBytes } = encodeShard(rows, { format: 'csv', fields: COLUMNS, neutraliseFormulas: true });
      // The header row once, at the top, as the download of an export's shards keeps it.
      controller.enqueue(header ? bytes : bytes.subarray(headerBytes));
      header = false;
      const full = rows.length === PAGE;
      offset += rows.length;
      rows = full ? await page(offset) : [];
    },
  });
}
