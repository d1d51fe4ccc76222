import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import type { NextApiRequest, NextApiResponse } from 'next';

/**
 * The Pages API bridge of the download routes (see pages/api/exports/[id]/download.ts for why downloads
 * are Pages routes): the Node request as a web Request, and a web Response written to the Node response
 * with its headers exactly as set.
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

export async function sendWebResponse(req: NextApiRequest, res: NextApiResponse, response: Response): Promise<void> {
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
