import { projectApiKeys, type DevstackContext } from './context';

/**
 * Stands in for pg_cron: every `sweepIntervalMs`, runs the export engine's sweep (if the migrations
 * define it) and kicks the worker for every lane it returns, as pg_net does on hosted Supabase.
 */
export function startSweep(ctx: DevstackContext): { stop: () => void } {
  let running = false;
  const runOnce = async () => {
    if (running) return;
    running = true;
    try {
      const exists = await ctx.db.query<{ fn: string | null }>(
        "select to_regprocedure('public.sweep_export_jobs()')::text as fn",
      );
      if (!exists.rows[0]?.fn) return;
      const { rows } = await ctx.db.query<{ job_id: string; lane_no: number }>(
        'select job_id, lane_no from public.sweep_export_jobs()',
      );
      await Promise.all(
        rows.map((row) =>
          fetch(`${ctx.apiUrl}/functions/v1/export-worker`, {
            method: 'POST',
            headers: { apikey: projectApiKeys(ctx).secret, 'Content-Type': 'application/json' },
            body: JSON.stringify({ jobId: row.job_id, lane: row.lane_no }),
          })
            .then((res) => res.body?.cancel())
            .catch((error: unknown) => ctx.log('sweep', `kick for ${row.job_id} failed: ${String(error)}`)),
        ),
      );
    } catch (error) {
      ctx.log('sweep', `sweep failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void runOnce(), ctx.config.sweepIntervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
