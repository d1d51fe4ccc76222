import { laneFolder } from './shard-key.ts';
import { parseRpcResult } from './worker-rpc-results.ts';
import type { WorkerPorts } from './worker/ports.ts';

/**
 * The expiry of an ended export's files, once the organisation's retention has run out
 * (supabase/migrations/20261212001100_retention_and_approvals.sql): every object under its lane folders
 * is removed through the Storage API (hosted Supabase forbids deleting from `storage.objects`), a batch
 * at a time, then the export is marked expired. Idempotent: an expiry killed half way is taken again by
 * the sweep a minute later, lists what is left and finishes.
 */
export type ExpiryPorts = Pick<WorkerPorts, 'rpc' | 'listObjects' | 'removeObjects' | 'log'>;

/** Objects removed in one Storage call (its remove takes a list of keys; the devstack and hosted alike). */
export const OBJECTS_PER_REMOVAL = 100;

/** Runs the export's expiry if it is due and not taken; answers how many objects it removed (null: none due). */
export async function expireEndedJob(jobId: string, ports: ExpiryPorts): Promise<number | null> {
  const taken = parseRpcResult('begin_export_expiry', await ports.rpc('begin_export_expiry', { p_job_id: jobId }));
  if (!taken.taken) return null;
  let removed = 0;
  for (let lane = 1; lane <= taken.lane_count; lane += 1) {
    const listed = await ports.listObjects(laneFolder(taken.organisation_id, jobId, lane));
    for (let start = 0; start < listed.length; start += OBJECTS_PER_REMOVAL) {
      const batch = listed.slice(start, start + OBJECTS_PER_REMOVAL);
      await ports.removeObjects(batch);
      removed += batch.length;
    }
    // The port logs a failed removal rather than throwing (the clean-ups it serves are best effort):
    // an expiry ends only when the folder is empty, otherwise the sweep takes it again.
    const left = await ports.listObjects(laneFolder(taken.organisation_id, jobId, lane));
    if (left.length > 0) throw new Error(`lane ${lane}: ${left.length} object(s) still stored after the removal`);
  }
  await ports.rpc('end_export_expiry', { p_job_id: jobId, p_removed: removed });
  ports.log(`job ${jobId}: expired, ${removed} object(s) removed`);
  return removed;
}
