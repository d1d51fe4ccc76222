import { downloadExport, downloadQuery } from '@/lib/download/download-export';
import { recordExportDownload } from '@/lib/exports/record-export-download';
import type { ApiCaller } from './authenticate-api-token';
import { getOrganisationExportOrThrow } from './get-organisation-export-or-throw';
import { problemResponse } from './problem-response';

/**
 * The dashboard's download (every form, ranges, ETag, If-Range) for a token. `downloadExport` reads the job
 * and its manifest through the client it is given; for a token that is the service client, so the
 * organisation is checked first — the job id it then reads by cannot change organisation.
 */
export async function downloadOrganisationExport(
  caller: ApiCaller,
  jobId: string,
  request: Request,
): Promise<Response> {
  await getOrganisationExportOrThrow(caller, jobId);
  const response = await downloadExport({ user: { supabase: caller.admin }, admin: caller.admin }, jobId, request);
  if (response.status === 416) {
    // The same answer in the API's one error shape (Content-Range kept: it says the file's size).
    const detail = ((await response.json()) as { error: { message: string } }).error.message;
    return problemResponse(
      { status: 416, code: 'range_not_satisfiable', detail },
      {
        'Content-Range': response.headers.get('content-range') ?? '',
      },
    );
  }
  if (request.method === 'GET' && response.status === 200) {
    const query = downloadQuery.parse(Object.fromEntries(new URL(request.url).searchParams));
    await recordExportDownload(caller.admin, {
      jobId,
      userId: null,
      apiTokenId: caller.tokenId,
      form: query.form,
      partial: query.partial,
      bytes: Number(response.headers.get('content-length') ?? 0),
    });
  }
  return response;
}
