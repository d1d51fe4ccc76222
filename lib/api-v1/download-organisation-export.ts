import { downloadQuery, serveExportDownload } from '@/lib/download/download-export';
import type { ApiCaller } from './authenticate-api-token';
import { getOrganisationExportOrThrow } from './get-organisation-export-or-throw';
import { problemResponse } from './problem-response';

/**
 * The dashboard's download (every form, ranges, ETag, If-Range, verify-before-send, the audit) for a token.
 * The core reads the job and its manifest through the service client here, so the organisation is checked
 * first — the job id it then reads by cannot change organisation.
 */
export async function downloadOrganisationExport(
  caller: ApiCaller,
  jobId: string,
  request: Request,
): Promise<Response> {
  await getOrganisationExportOrThrow(caller, jobId);
  const options = downloadQuery.parse(Object.fromEntries(new URL(request.url).searchParams));
  const response = await serveExportDownload(
    { reader: caller.admin, admin: caller.admin, downloader: { kind: 'api_token', tokenId: caller.tokenId } },
    jobId,
    request,
    options,
  );
  if (response.status === 416) {
    // The same answer in the API's one error shape (Content-Range kept: it says the file's size).
    const detail = ((await response.json()) as { error: { message: string } }).error.message;
    return problemResponse(
      { status: 416, code: 'range_not_satisfiable', detail },
      { 'Content-Range': response.headers.get('content-range') ?? '' },
    );
  }
  return response;
}
