import type { z } from 'zod';
import type { ApiCaller } from './authenticate-api-token';
import { getOrganisationExportOrThrow } from './get-organisation-export-or-throw';
import type { exportEvent } from './schemas';

/** An export's timeline (cancel and retry requests, outcomes, renames, downloads), oldest first. */
export async function listExportEvents(caller: ApiCaller, jobId: string): Promise<Array<z.infer<typeof exportEvent>>> {
  await getOrganisationExportOrThrow(caller, jobId);
  const { data, error } = await caller.admin
    .from('export_events')
    .select('id, kind, run_no, actor, detail, at')
    .eq('job_id', jobId)
    .order('id')
    .limit(1000);
  if (error) throw new Error(`Reading the events of export ${jobId} failed: ${error.message}`);
  return data.map((e) => ({
    id: e.id,
    kind: e.kind as z.infer<typeof exportEvent>['kind'],
    run: e.run_no,
    at: e.at,
    byPerson: e.actor !== null,
    detail: (e.detail ?? {}) as Record<string, unknown>,
  }));
}
