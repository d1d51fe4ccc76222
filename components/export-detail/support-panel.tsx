'use client';

import { useQuery } from '@tanstack/react-query';
import { format } from 'date-fns';
import { AlertTriangleIcon, CheckCircle2Icon, Loader2Icon, RotateCcwIcon, ShieldCheckIcon } from 'lucide-react';
import { useId, useMemo, useState } from 'react';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Input } from '@/components/ui/input';
import type { ExportInvocation, ExportJob } from '@/lib/exports/types';
import {
  exportVerificationQueryOptions,
  type ExportManifest,
  type ShardCheck,
} from '@/lib/queries/export-manifest-query';
import { cn } from '@/lib/utils';
import { formatBytes, formatCount, formatDuration } from '@/lib/view-model/format';
import { isActive } from '@/lib/view-model/shard-states';
import { plainErrorCause, plainErrorSentence } from '@/lib/view-model/plain-error';
import {
  END_REASON_LABEL,
  END_REASON_TONE,
  groupErrors,
  parseShardList,
  splitError,
} from '@/lib/view-model/support-logic';
import { RetryDialog } from './retry-dialog';
import { TechnicalDetails } from '@/components/ui/technical-details';

/** The timeline bar of an invocation, in the colour of its badge. */
const BAR_COLOUR = {
  done: 'bg-state-done',
  running: 'bg-state-running',
  failed: 'bg-state-failed',
  cancelled: 'bg-state-cancelled',
  neutral: 'bg-neutral-400',
} as const;

export function SupportPanel({
  job,
  manifest,
  canOperate,
  onOpenShard,
}: {
  job: ExportJob;
  manifest: ExportManifest | undefined;
  /** Verifying and re-running are a member's; a viewer sees the errors and the timeline. */
  canOperate: boolean;
  onOpenShard: (shardNo: number) => void;
}) {
  return (
    <div className="flex flex-col gap-8">
      <ErrorGroups job={job} invocations={manifest?.invocations ?? []} />
      <InvocationTimeline job={job} invocations={manifest?.invocations ?? []} />
      {canOperate ? (
        <StorageVerification job={job} onOpenShard={onOpenShard} shardCount={manifest?.shards.length ?? 0} />
      ) : (
        <p className="text-sm text-neutral-600">
          Storage verification and re-runs are for members of the organisation; your role is viewer.
        </p>
      )}
    </div>
  );
}

function ErrorGroups({ job, invocations }: { job: ExportJob; invocations: ExportInvocation[] }) {
  const groups = useMemo(() => groupErrors(job, invocations), [job, invocations]);
  return (
    <section aria-labelledby="errors-heading" className="flex flex-col gap-2">
      <h2 id="errors-heading" className="text-base font-semibold">
        Errors
      </h2>
      {groups.length === 0 ? (
        <p className="inline-flex items-center gap-1.5 text-sm text-neutral-600">
          <CheckCircle2Icon aria-hidden className="text-state-done-ink size-4" />
          No errors recorded for this export.
        </p>
      ) : (
        <>
          <p className="text-sm text-neutral-700">
            {groups.map((g) => `${formatCount(g.count)} × ${plainErrorCause(g.kind)}`).join(' · ')}
          </p>
          <ul className="flex flex-col gap-2" aria-label="Errors by kind">
            {groups.map((g) => (
              <li key={g.kind} className="border-state-failed/30 bg-state-failed/5 rounded-md border p-3 text-sm">
                <p className="flex flex-wrap items-center gap-2">
                  <AlertTriangleIcon aria-hidden className="text-state-failed-ink size-4" />
                  <span className="font-medium">{plainErrorSentence(g.kind)}</span>
                  <span className="text-neutral-600">
                    {formatCount(g.count)} time{g.count === 1 ? '' : 's'}, last {format(new Date(g.lastAt), 'HH:mm:ss')}
                  </span>
                  {g.current ? <Badge tone="failed">current</Badge> : null}
                </p>
                <RawError kind={g.kind} message={g.message} />
              </li>
            ))}
          </ul>
          {job.status === 'retrying' ? (
            <p className="text-sm text-neutral-700">
              Attempt {job.attempts} of {job.max_attempts}
              {job.next_retry_at ? `; next try at ${format(new Date(job.next_retry_at), 'HH:mm:ss')}` : ''}.
            </p>
          ) : null}
        </>
      )}
    </section>
  );
}

function InvocationTimeline({ job, invocations }: { job: ExportJob; invocations: ExportInvocation[] }) {
  const start = invocations[0] ? Date.parse(invocations[0].started_at) : 0;
  const ends = invocations.map((i) => (i.ended_at ? Date.parse(i.ended_at) : Date.parse(job.updated_at)));
  const end = Math.max(start + 1, ...ends);
  const span = end - start;
  return (
    <section aria-labelledby="timeline-heading" className="flex flex-col gap-2">
      <h2 id="timeline-heading" className="text-base font-semibold">
        Invocations <span className="font-normal text-neutral-600">({formatCount(invocations.length)})</span>
      </h2>
      {invocations.length === 0 ? (
        <p className="text-sm text-neutral-600">No invocation has claimed this export yet.</p>
      ) : (
        <ol
          className="flex flex-col divide-y divide-neutral-100 rounded-md border border-neutral-200 bg-white"
          aria-label="Invocation timeline"
        >
          {invocations.map((inv, index) => {
            const from = Date.parse(inv.started_at);
            const to = ends[index] ?? from;
            const reason = inv.end_reason ?? (inv.ended_at ? null : 'running');
            return (
              <li key={inv.id} className="flex flex-col gap-1.5 px-3 py-2 text-sm">
                <div className="flex flex-wrap items-center gap-2">
                  <span className="font-medium tabular-nums">#{index + 1}</span>
                  <time dateTime={inv.started_at} className="text-neutral-600 tabular-nums">
                    {format(new Date(inv.started_at), 'HH:mm:ss')}
                  </time>
                  {reason ? <Badge tone={END_REASON_TONE[reason]}>{END_REASON_LABEL[reason]}</Badge> : null}
                  <span className="text-neutral-700 tabular-nums">
                    {formatCount(inv.shards_written)} shards · {formatCount(inv.rows_written)} records
                  </span>
                  <span className="text-xs text-neutral-600 tabular-nums">
                    wall {inv.wall_ms === null ? formatDuration(to - from) : `${formatCount(inv.wall_ms)} ms`}
                    {inv.cpu_ms !== null ? ` · cpu ${formatCount(inv.cpu_ms)} ms` : ''}
                    {inv.peak_heap_bytes !== null ? ` · peak heap ${formatBytes(inv.peak_heap_bytes)}` : ''}
                    {inv.generation !== null ? ` · generation ${inv.generation}` : ''}
                  </span>
                </div>
                <div aria-hidden className="relative h-2 rounded-full bg-neutral-100">
                  <div
                    className={cn(
                      'absolute inset-y-0 rounded-full',
                      reason ? BAR_COLOUR[END_REASON_TONE[reason]] : 'bg-state-running',
                    )}
                    style={{
                      left: `${((from - start) / span) * 100}%`,
                      width: `${Math.max(0.5, ((to - from) / span) * 100)}%`,
                    }}
                  />
                </div>
                {inv.error ? <InvocationError error={inv.error} /> : null}
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}

/** The raw error, one click away: support pastes it into tickets, nobody needs to read it first. */
function RawError({ kind, message }: { kind: string; message: string }) {
  return (
    <TechnicalDetails className="mt-1">
      <p className="mt-1 font-mono text-xs break-all text-neutral-800">
        {kind}: {message}
      </p>
    </TechnicalDetails>
  );
}

function InvocationError({ error }: { error: string }) {
  const { kind, message } = splitError(error);
  return (
    <div>
      <p className="text-state-failed-ink">{plainErrorSentence(kind)}</p>
      <RawError kind={kind} message={message} />
    </div>
  );
}

const checkLabel: Record<ShardCheck['state'], string> = {
  ok: 'ok',
  missing: 'missing',
  size_mismatch: 'size mismatch',
  checksum_mismatch: 'checksum mismatch',
};

function StorageVerification({
  job,
  shardCount,
  onOpenShard,
}: {
  job: ExportJob;
  shardCount: number;
  onOpenShard: (n: number) => void;
}) {
  const sizes = useQuery(exportVerificationQueryOptions(job.id, false));
  const sums = useQuery(exportVerificationQueryOptions(job.id, true));
  // Show whichever check ran last.
  const verification =
    sums.dataUpdatedAt > sizes.dataUpdatedAt || (sums.isFetching && !sizes.isFetching) ? sums : sizes;
  const [selected, setSelected] = useState<number[]>([]);
  const [typed, setTyped] = useState('');
  const inputId = useId();
  const checks = verification.data?.verification ?? null;
  const problems = checks?.filter((c) => c.state !== 'ok') ?? [];
  const parsed = parseShardList(typed, Math.max(1, shardCount));
  const chosen = [...new Set([...selected, ...(parsed.ok ? parsed.shardNos : [])])].sort((a, b) => a - b);
  const active = isActive(job.status);

  return (
    <section aria-labelledby="verify-heading" className="flex flex-col gap-3">
      <h2 id="verify-heading" className="text-base font-semibold">
        Storage verification and re-runs
      </h2>
      <p className="text-sm text-neutral-700">
        Compares each shard in the manifest with the object storage really holds. Sizes are cheap; checksums read every
        object.
      </p>
      <div className="flex flex-wrap items-center gap-2">
        <Button variant="outline" onClick={() => void sizes.refetch()} disabled={sizes.isFetching || sums.isFetching}>
          {sizes.isFetching ? (
            <Loader2Icon aria-hidden className="motion-safe:animate-spin" />
          ) : (
            <ShieldCheckIcon aria-hidden />
          )}
          Verify storage
        </Button>
        <Button variant="outline" onClick={() => void sums.refetch()} disabled={sizes.isFetching || sums.isFetching}>
          {sums.isFetching ? (
            <Loader2Icon aria-hidden className="motion-safe:animate-spin" />
          ) : (
            <ShieldCheckIcon aria-hidden />
          )}
          Verify with checksums
        </Button>
        {verification.isFetching ? <span className="text-sm text-neutral-600">Checking every shard…</span> : null}
      </div>
      <div aria-live="polite" className="text-sm">
        {verification.isError ? (
          <p className="text-red-700">Verification failed: {verification.error.message}</p>
        ) : null}
        {checks ? (
          problems.length === 0 ? (
            <p className="text-state-done-ink inline-flex items-center gap-1.5">
              <CheckCircle2Icon aria-hidden className="size-4" />
              All {formatCount(checks.length)} written shards are in storage as recorded.
            </p>
          ) : (
            <p className="text-state-failed-ink">
              {formatCount(problems.length)} of {formatCount(checks.length)} shards have a problem.
            </p>
          )
        ) : null}
      </div>
      {problems.length > 0 ? (
        <table className="w-full max-w-xl text-left text-sm">
          <caption className="sr-only">Shards with a storage problem</caption>
          <thead className="text-xs text-neutral-600 uppercase">
            <tr>
              <th scope="col" className="w-10 py-1">
                <span className="sr-only">Select</span>
              </th>
              <th scope="col" className="py-1 font-medium">
                Shard
              </th>
              <th scope="col" className="py-1 font-medium">
                Problem
              </th>
            </tr>
          </thead>
          <tbody className="divide-y divide-neutral-100">
            {problems.map((c) => (
              <tr key={c.shardNo}>
                <td className="py-1">
                  <input
                    type="checkbox"
                    aria-label={`Select shard ${c.shardNo}`}
                    checked={selected.includes(c.shardNo)}
                    onChange={(e) =>
                      setSelected((s) => (e.target.checked ? [...s, c.shardNo] : s.filter((n) => n !== c.shardNo)))
                    }
                    className="size-4 accent-neutral-900"
                  />
                </td>
                <td className="py-1">
                  <Button variant="link" size="sm" className="h-auto px-0" onClick={() => onOpenShard(c.shardNo)}>
                    Shard {formatCount(c.shardNo)}
                  </Button>
                </td>
                <td className="text-state-failed-ink py-1">{checkLabel[c.state]}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <div className="flex flex-col gap-1">
        <label htmlFor={inputId} className="text-sm font-medium">
          Shards to re-run <span className="font-normal text-neutral-600">(e.g. 3, 10-12)</span>
        </label>
        <div className="flex flex-wrap items-start gap-2">
          <Input
            id={inputId}
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
            className="max-w-xs font-mono"
            aria-invalid={parsed.ok ? undefined : true}
            aria-describedby={`${inputId}-hint`}
          />
          <RetryDialog
            jobId={job.id}
            shardNos={chosen}
            title={`Re-run ${formatCount(chosen.length)} selected shard${chosen.length === 1 ? '' : 's'}`}
            onDone={() => {
              setSelected([]);
              setTyped('');
            }}
            trigger={
              <Button disabled={active || chosen.length === 0 || !parsed.ok}>
                <RotateCcwIcon aria-hidden />
                Re-run selected ({formatCount(chosen.length)})
              </Button>
            }
          />
        </div>
        <p id={`${inputId}-hint`} className={cn('text-xs', parsed.ok ? 'text-neutral-600' : 'text-red-700')}>
          {!parsed.ok
            ? parsed.message
            : active
              ? 'Re-runs are possible once the export has stopped.'
              : 'Selected shards plus any typed here.'}
        </p>
      </div>
    </section>
  );
}
