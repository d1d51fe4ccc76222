import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import type { NextApiRequest, NextApiResponse } from 'next';

/**
 * The download routes are Pages API routes, not App Router route handlers, on purpose: Next.js 16 drops
 * `Content-Length` from every route-handler Response (send-response.js strips it), and the exact size
 * from the manifest is what lets a browser show progress and resume with Range. These two functions let
 * such a route keep its logic on web Requests and Responses and still own the Node response.
 */
export function toWebRequest(req: NextApiRequest): Request {
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

/** Writes `response` to the Node response exactly: status, every header, and the body pulled to the socket. */
export async function sendWebResponse(req: NextApiRequest, res: NextApiResponse, response: Response): Promise<void> {
  res.statusCode = response.status;
  response.headers.forEach((value, name) => res.setHeader(name, value));
  if (!response.body || req.method === 'HEAD') {
    await response.body?.cancel();
    res.end();
    return;
  }
  // Pull-based to the socket: a slow client slows the storage reads; a client that leaves cancels them
  // (and the download is recorded as cut).
  const body = Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>);
  res.on('close', () => body.destroy());
  body.on('error', () => res.destroy());
  body.pipe(res);
}

/** GET and HEAD only; anything else is answered here with 405 and false. */
export function allowGetAndHead(req: NextApiRequest, res: NextApiResponse): boolean {
  if (req.method === 'GET' || req.method === 'HEAD') return true;
  res.setHeader('Allow', 'GET, HEAD');
  res.status(405).json({ error: { code: 'method_not_allowed', message: 'Use GET or HEAD.' } });
  return false;
}
