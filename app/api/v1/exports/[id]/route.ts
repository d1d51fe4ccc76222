import { getOrganisationExportOrThrow } from '@/lib/api-v1/get-organisation-export-or-throw';
import { exportIdParams, toExportResource } from '@/lib/api-v1/schemas';
import { v1Route } from '@/lib/api-v1/v1-route';

type Ctx = { params: Promise<{ id: string }> };

export const GET = v1Route<Ctx>('exports:read', async (_request, caller, { params }) => {
  const { id } = exportIdParams.parse(await params);
  return Response.json(toExportResource(await getOrganisationExportOrThrow(caller, id)));
});
