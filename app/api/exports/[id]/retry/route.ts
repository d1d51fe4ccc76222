import { parseJsonBody } from '@/lib/api/parse-json-body';
import { parseUuidParam } from '@/lib/api/path-params';
import { handleRoute } from '@/lib/api/route-handler';
import { routeDeps } from '@/lib/api/server-deps';
import { retryExport, retryExportInput } from '@/lib/exports/retry-export';

type Ctx = { params: Promise<{ id: string }> };

/** Re-run what is missing. `dryRun: true` answers the plan only (the confirm dialog's preview). */
export const POST = handleRoute<Ctx>(async (request, { params }) => {
  const id = parseUuidParam((await params).id, 'export id');
  const deps = await routeDeps(request);
  const input = await parseJsonBody(request, retryExportInput);
  const result = await retryExport(deps, id, input);
  return Response.json(result, { status: input.dryRun ? 200 : 202 });
});
