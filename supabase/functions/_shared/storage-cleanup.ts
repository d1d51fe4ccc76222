import { laneFolder } from './shard-key.ts';
import { parseRpcResult } from './worker-rpc-results.ts';
import type { WorkerPorts } from './worker/ports.ts';

/**
 * The clean-up of an ended job's storage: every object under its lane folders that no manifest row names
 * (an upload whose record failed, one a cancel or a kill left behind, a replaced shard) is removed, so
 * storage holds exactly what the manifest names. Due once no lease of the job can still be alive; the
 * sweep kicks a worker for it (supabase/migrations/20261207000200_one_lock_order_and_storage_cleanup.sql).
 * One listing per lane folder, whatever the number of shards.
 */
export type CleanupPorts = Pick<WorkerPorts, 'rpc' | 'listObjects' | 'removeObjects' | 'log'>;

/** Asks the manifest at most this many keys at a time (a lane folder may hold thousands). */
const KEYS_PER_QUESTION = 1_000;

/** Runs the job's clean-up if one is due and not taken; answers how many objects it removed (null: none due). */
export async function cleanUpEndedJob(jobId: string, ports: CleanupPorts): Promise<number | null> {
  const taken = parseRpcResult('begin_export_cleanup', await ports.rpc('begin_export_cleanup', { p_job_id: jobId }));
  if (!taken.taken) return null;
  let removed = 0;
  for (let lane = 1; lane <= taken.lane_count; lane += 1) {
    const listed = await ports.listObjects(laneFolder(taken.organisation_id, jobId, lane));
    for (let start = 0; start < listed.length; start += KEYS_PER_QUESTION) {
      const unreferenced = parseRpcResult(
        'unreferenced_export_objects',
        await ports.rpc('unreferenced_export_objects', {
          p_job_id: jobId,
          p_keys: listed.slice(start, start + KEYS_PER_QUESTION),
        }),
      );
      if (unreferenced.length > 0) await ports.removeObjects(unreferenced);
      removed += unreferenced.length;
    }
  }
  await ports.rpc('end_export_cleanup', { p_job_id: jobId, p_removed: removed });
  if (removed > 0) ports.log(`job ${jobId}: removed ${removed} object(s) no manifest row names`);
  return removed;
}
