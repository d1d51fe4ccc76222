import { listExportEvents } from '@/lib/api-v1/list-export-events';
import { exportIdParams } from '@/lib/api-v1/schemas';
import { v1Route } from '@/lib/api-v1/v1-route';

type Ctx = { params: Promise<{ id: string }> };

export const GET = v1Route<Ctx>('exports:read', async (_request, caller, { params }) => {
  const { id } = exportIdParams.parse(await params);
  return Response.json({ data: await listExportEvents(caller, id) });
});
