import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import type { NextApiRequest, NextApiResponse } from 'next';
import { parseUuidParam } from '@/lib/api/path-params';
import { handleRoute } from '@/lib/api/route-handler';
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

function toWebRequest(req: NextApiRequest): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === 'string') headers.set(name, value);
    else if (Array.isArray(value)) for (const v of value) headers.append(name, v);
  }
  return new Request(new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`), {
    method: req.method,
    headers,
  });
}

export default async function handler(req: NextApiRequest, res: NextApiResponse) {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    res.status(405).json({ error: { code: 'method_not_allowed', message: 'Use GET or HEAD.' } });
    return;
  }
  const id = typeof req.query.id === 'string' ? req.query.id : '';
  const response = await download(toWebRequest(req), { id });
  res.statusCode = response.status;
  response.headers.forEach((value, name) => res.setHeader(name, value));
  if (!response.body || req.method === 'HEAD') {
    await response.body?.cancel();
    res.end();
    return;
  }
  // Pull-based to the socket: a slow client slows the storage reads; a client that leaves cancels them.
  const body = Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>);
  res.on('close', () => body.destroy());
  body.on('error', () => res.destroy());
  body.pipe(res);
}
