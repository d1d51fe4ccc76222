import { createOrganisationExport } from '@/lib/api-v1/create-organisation-export';
import { listOrganisationExports } from '@/lib/api-v1/list-organisation-exports';
import { readJsonBody } from '@/lib/api-v1/read-json-body';
import { createExportBody, idempotencyHeaders, listExportsParams, toExportResource } from '@/lib/api-v1/schemas';
import { v1Route } from '@/lib/api-v1/v1-route';
import { createTypesenseAccess } from '@/lib/typesense/client';

/** Start an export: 201 with it (200 when an Idempotency-Key replays the export it created before). */
export const POST = v1Route('exports:write', async (request, caller) => {
  const { 'idempotency-key': key } = idempotencyHeaders.parse({
    'idempotency-key': request.headers.get('idempotency-key') ?? undefined,
  });
  const input = await readJsonBody(request, createExportBody);
  const { job, replayed } = await createOrganisationExport(caller, createTypesenseAccess(), input, key);
  return Response.json(toExportResource(job), {
    status: replayed ? 200 : 201,
    headers: { Location: `/api/v1/exports/${job.id}`, ...(replayed ? { 'Idempotent-Replayed': 'true' } : {}) },
  });
});

/** The organisation's exports, newest first, with a cursor; filter by status and creation time. */
export const GET = v1Route('exports:read', async (request, caller) => {
  const params = listExportsParams.parse(Object.fromEntries(new URL(request.url).searchParams));
  return Response.json(await listOrganisationExports(caller, params));
});
