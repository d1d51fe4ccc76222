import type { NextApiRequest, NextApiResponse } from 'next';
import { parseUuidParam } from '@/lib/api/path-params';
import { handleRoute } from '@/lib/api/route-handler';
import { sendWebResponse, toWebRequest } from '@/lib/api/send-pages-response';
import { routeDeps } from '@/lib/api/server-deps';
import { downloadExport, downloadQuery } from '@/lib/download/download-export';
import { recordExportDownload } from '@/lib/exports/record-export-download';

/**
 * GET/HEAD /api/exports/:id/download. A Pages API route, not an App Router route handler, on purpose:
 * Next.js 16 drops `Content-Length` from every route-handler Response (send-response.js strips it),
 * and the exact size from the manifest is what lets a browser show progress and resume with Range.
 * Here the Node response is ours, so the headers go out exactly as `downloadExport` sets them.
 */
export const config = { api: { bodyParser: false, responseLimit: false } };

const download = handleRoute<{ id: string }>(async (request, { id }) => {
  const jobId = parseUuidParam(id, 'export id');
  const deps = await routeDeps(request);
  const response = await downloadExport(deps, jobId, request);
  // A whole file going out is a download on the export's timeline; a resumed range is the same one.
  if (request.method === 'GET' && response.status === 200) {
    const query = downloadQuery.parse(Object.fromEntries(new URL(request.url).searchParams));
    await recordExportDownload(deps.admin, {
      jobId,
      userId: deps.user.userId,
      form: query.form,
      partial: query.partial,
      bytes: Number(response.headers.get('content-length') ?? 0),
    });
  }
  return response;
});

export default async function handler(req: NextApiRequest, res: NextApiResponse) {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    res.status(405).json({ error: { code: 'method_not_allowed', message: 'Use GET or HEAD.' } });
    return;
  }
  const id = typeof req.query.id === 'string' ? req.query.id : '';
  await sendWebResponse(req, res, await download(toWebRequest(req), { id }));
}
