import { Progress } from '@/components/ui/progress';
import type { ExportJob } from '@/lib/exports/types';
import { cn } from '@/lib/utils';
import { formatBytes, formatCount, formatDuration, formatEtaRange, formatRate } from '@/lib/view-model/format';
import { jobDurationMs, jobProgress } from '@/lib/view-model/job-status';
import type { RateEstimate } from '@/lib/view-model/rate';
import { shardCountNote } from '@/lib/view-model/shard-count-note';

function Stat({
  label,
  value,
  hint,
  stale,
}: {
  label: string;
  value: React.ReactNode;
  hint?: React.ReactNode;
  /** The value may be out of date (no live updates): dimmed, and said so to screen readers. */
  stale?: boolean;
}) {
  return (
    <div
      className={cn(
        'flex flex-col gap-0.5 rounded-lg border border-neutral-200 bg-white px-4 py-3 transition-opacity',
        stale && 'border-dashed bg-neutral-50',
      )}
      data-stale={stale ? 'true' : undefined}
      aria-description={stale ? 'may be out of date' : undefined}
    >
      <dt className="text-xs font-medium text-neutral-600 uppercase">{label}</dt>
      {/* Dimmed, not faded: neutral-500 on neutral-50 still reads at 4.6:1 (WCAG AA). */}
      <dd className={cn('text-lg font-semibold tabular-nums', stale && 'text-neutral-500')}>{value}</dd>
      {hint ? <dd className="text-xs text-neutral-600 tabular-nums">{hint}</dd> : null}
    </div>
  );
}

/**
 * Honest progress: shards, records, bytes, elapsed time and records/s always; the time left only once
 * the rate has settled, and then as a range that counts down rather than flaps (lib/view-model/eta.ts).
 */
export function ExportCounters({
  job,
  rate,
  timeLeft,
  now,
  stale = false,
}: {
  job: ExportJob;
  rate: RateEstimate;
  /** Seconds left as [soonest, latest], smoothed (useEta), or null while estimating. */
  timeLeft: [number, number] | null;
  now: number;
  /** No live updates: the counts may have moved on. Dim them and stop the ETA rather than guess. */
  stale?: boolean;
}) {
  const progress = jobProgress(job);
  const countNote = shardCountNote(job, progress.expected);
  const elapsed = jobDurationMs(job, now || Date.parse(job.updated_at));
  const averageRate = elapsed && elapsed > 0 ? (job.rows_written / elapsed) * 1000 : null;
  const running = job.status === 'running';
  const shownRate = running ? (rate.perSecond ?? averageRate) : averageRate;
  const cancelling = running && Boolean(job.cancel_requested_at);
  const eta = running && !stale && !cancelling ? timeLeft : null;

  return (
    <section aria-label="Progress" className="flex flex-col gap-3">
      <div className={cn('flex flex-col gap-1', stale && 'grayscale')} data-stale={stale ? 'true' : undefined}>
        <Progress
          value={progress.done}
          max={Math.max(1, progress.expected)}
          aria-label="Shards written"
          getValueLabel={() => `${formatCount(progress.done)} of ${formatCount(progress.expected)} shards`}
          className="h-3"
          indicatorClassName={cn(
            job.status === 'completed' && 'bg-state-done',
            job.status === 'failed' && 'bg-state-failed',
            job.status === 'cancelled' && 'bg-state-cancelled',
          )}
        />
        <p className="text-sm text-neutral-700 tabular-nums">
          {formatCount(progress.done)} of {formatCount(progress.expected)} shards ({Math.round(progress.fraction * 100)}
          %){countNote ? <span className="text-neutral-600"> · {countNote}</span> : null}
        </p>
      </div>
      <dl className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-6">
        <Stat
          stale={stale}
          label="Shards"
          value={formatCount(job.shards_written)}
          hint={`of ${formatCount(progress.expected)} expected`}
        />
        <Stat
          stale={stale}
          label="Records"
          value={formatCount(job.rows_written)}
          hint={
            job.status === 'completed' && job.rows_written === job.estimated_rows
              ? 'as estimated'
              : `of ~${formatCount(job.estimated_rows)}`
          }
        />
        <Stat
          stale={stale}
          label="Size"
          value={formatBytes(job.bytes_written)}
          hint={`${formatCount(job.bytes_written)} bytes`}
        />
        <Stat
          stale={stale}
          label="Rate"
          value={formatRate(shownRate)}
          hint={running ? (rate.perSecond ? 'last minute' : 'average') : 'average'}
        />
        <Stat
          label="Elapsed"
          value={elapsed === null ? '—' : formatDuration(elapsed)}
          hint={job.finished_at ? 'finished' : job.started_at ? 'so far' : 'not started'}
        />
        <Stat
          label="Time left"
          value={eta ? formatEtaRange(eta) : '—'}
          hint={
            stale && running
              ? 'paused: no live updates'
              : cancelling
                ? 'cancelling'
                : running
                  ? eta
                    ? 'estimated range'
                    : 'estimating…'
                  : job.finished_at
                    ? 'done'
                    : undefined
          }
        />
      </dl>
    </section>
  );
}
