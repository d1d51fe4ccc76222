import type { IncomingMessage, ServerResponse } from 'node:http';

/** Headers browsers must be able to read; without Content-Range, postgrest-js reports `count: null`. */
const EXPOSED_HEADERS =
  'Content-Encoding, Content-Location, Content-Range, Content-Type, Content-Length, Content-Disposition, Date, Location, Server, Transfer-Encoding, Range-Unit, ETag, Accept-Ranges, X-Supabase-Api-Version';

/**
 * CORS as the hosted gateway answers it: any origin, the browser's requested headers echoed back.
 * Returns true when the request was a preflight and has been answered.
 */
export function applyCors(req: IncomingMessage, res: ServerResponse): boolean {
  const origin = req.headers.origin;
  res.setHeader('Access-Control-Allow-Origin', typeof origin === 'string' ? origin : '*');
  res.setHeader('Access-Control-Allow-Credentials', 'true');
  res.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS);
  if (req.method !== 'OPTIONS') return false;
  res.writeHead(204, {
    'Access-Control-Allow-Methods': 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS',
    'Access-Control-Allow-Headers':
      req.headers['access-control-request-headers'] ?? 'apikey, authorization, x-client-info, content-type, prefer',
    'Access-Control-Max-Age': '86400',
  });
  res.end();
  return true;
}
