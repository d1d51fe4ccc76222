import type { NextApiRequest, NextApiResponse } from 'next';
import { sendWebResponse, toWebRequest } from '@/lib/http/pages-api-bridge';
import { downloadExportRoute } from '@/lib/api-v1/download-route';
import { problemResponse } from '@/lib/api-v1/problem-response';

/**
 * GET/HEAD /api/v1/exports/:id/download[?form=plain|excel|gzip][&partial=1]. A Pages route for the reason
 * the dashboard's is one (an exact Content-Length: lib/http/pages-api-bridge.ts).
 */
export const config = { api: { bodyParser: false, responseLimit: false } };

export default async function handler(req: NextApiRequest, res: NextApiResponse) {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    const refusal = problemResponse(
      { status: 405, code: 'method_not_allowed', detail: 'Use GET (or HEAD for the size and ETag only).' },
      { Allow: 'GET, HEAD' },
    );
    await sendWebResponse(req, res, refusal);
    return;
  }
  const id = typeof req.query.id === 'string' ? req.query.id : '';
  await sendWebResponse(req, res, await downloadExportRoute(toWebRequest(req), { id }));
}
