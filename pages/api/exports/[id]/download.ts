import type { NextApiRequest, NextApiResponse } from 'next';
import { parseUuidParam } from '@/lib/api/path-params';
import { handleRoute } from '@/lib/api/route-handler';
import { routeDeps } from '@/lib/api/server-deps';
import { downloadExport } from '@/lib/download/download-export';
import { allowGetAndHead, sendWebResponse, toWebRequest } from '@/lib/http/pages-api-bridge';

/**
 * GET/HEAD /api/exports/:id/download for a signed-in user. A Pages API route for the exact
 * Content-Length (lib/http/pages-api-bridge.ts); the download core records the download.
 */
export const config = { api: { bodyParser: false, responseLimit: false } };

const download = handleRoute<{ id: string }>(async (request, { id }) => {
  const jobId = parseUuidParam(id, 'export id');
  return downloadExport(await routeDeps(request), jobId, request);
});

export default async function handler(req: NextApiRequest, res: NextApiResponse) {
  if (!allowGetAndHead(req, res)) return;
  const id = typeof req.query.id === 'string' ? req.query.id : '';
  await sendWebResponse(req, res, await download(toWebRequest(req), { id }));
}
