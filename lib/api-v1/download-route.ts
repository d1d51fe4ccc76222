import { downloadOrganisationExport } from './download-organisation-export';
import { exportIdParams } from './schemas';
import { v1Route } from './v1-route';

/** GET/HEAD /api/v1/exports/:id/download as a web handler (the Pages route in pages/api/v1 serves it). */
export const downloadExportRoute = v1Route<{ id: string }>('downloads', async (request, caller, ctx) => {
  const { id } = exportIdParams.parse(ctx);
  return downloadOrganisationExport(caller, id, request);
});
