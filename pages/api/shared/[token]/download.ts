import type { NextApiRequest, NextApiResponse } from 'next';
import { handleRoute } from '@/lib/api/route-handler';
import { allowGetAndHead, sendWebResponse, toWebRequest } from '@/lib/http/pages-api-bridge';
import { downloadSharedExport } from '@/lib/share-links/download-shared-export';
import { createAdminClient } from '@/lib/supabase/admin';

/**
 * GET/HEAD /api/shared/:token/download — a share link's file, without a session: the token is the
 * authorisation. A Pages API route for the exact Content-Length (lib/http/pages-api-bridge.ts).
 */
export const config = { api: { bodyParser: false, responseLimit: false } };

const download = handleRoute<{ token: string }>(async (request, { token }) =>
  downloadSharedExport(createAdminClient(), token, request),
);

export default async function handler(req: NextApiRequest, res: NextApiResponse) {
  if (!allowGetAndHead(req, res)) return;
  const token = typeof req.query.token === 'string' ? req.query.token : '';
  await sendWebResponse(req, res, await download(toWebRequest(req), { token }));
}
