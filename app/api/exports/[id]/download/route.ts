import { parseUuidParam } from '@/lib/api/path-params';
import { handleRoute } from '@/lib/api/route-handler';
import { routeDeps } from '@/lib/api/server-deps';
import { downloadExport } from '@/lib/download/download-export';

type Ctx = { params: Promise<{ id: string }> };

// Streams for as long as the client reads; never cached or pre-rendered.
export const dynamic = 'force-dynamic';

const handler = handleRoute<Ctx>(async (request, { params }) => {
  const id = parseUuidParam((await params).id, 'export id');
  return downloadExport(await routeDeps(request), id, request);
});

export const GET = handler;
export const HEAD = handler;
