import { format } from 'date-fns';
import { parseUuidParam } from '@/lib/api/path-params';
import { requireUser } from '@/lib/api/require-user';
import { handleRoute } from '@/lib/api/route-handler';
import { downloadLogCsv } from '@/lib/share-links/download-log-csv';

type Ctx = { params: Promise<{ id: string }> };

/** GET: the organisation's download log as a CSV file, for its admins (403 for everyone else). */
export const GET = handleRoute<Ctx>(async (request, { params }) => {
  const id = parseUuidParam((await params).id, 'organisation id');
  const { supabase } = await requireUser(request);
  const body = await downloadLogCsv(supabase, id);
  return new Response(body, {
    headers: {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="download-log-${format(new Date(), 'yyyy-MM-dd')}.csv"`,
      'Cache-Control': 'private, no-store',
    },
  });
});
