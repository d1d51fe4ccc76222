'use client';

import { useQuery, useQueryClient } from '@tanstack/react-query';
import {
  AlertTriangleIcon,
  ArrowLeftIcon,
  CircleSlashIcon,
  ClipboardCopyIcon,
  HistoryIcon,
  Loader2Icon,
  LifeBuoyIcon,
  MapIcon,
} from 'lucide-react';
import { format } from 'date-fns';
import Link from 'next/link';
import { parseAsArrayOf, parseAsInteger, parseAsStringLiteral, useQueryStates } from 'nuqs';
import { useEffect, useId, useMemo, useState } from 'react';
import { toast } from 'sonner';
import { useExportCommands } from '@/components/command-palette/use-export-commands';
import { ExportStatusBadge } from '@/components/exports/export-status-badge';
import { ShardLegend } from '@/components/shard-map/shard-legend';
import { LaneBands } from '@/components/shard-map/lane-bands';
import { GoToShard } from '@/components/shard-map/go-to-shard';
import { ShardMap } from '@/components/shard-map/shard-map';
import { Button } from '@/components/ui/button';
import { agoText } from '@/components/ui/connection-indicator';
import { ConnectionIndicator } from '@/components/ui/connection-indicator';
import { RelativeTime } from '@/components/ui/relative-time';
import { Tabs, TabsContent, TabsList, TabsTrigger } from '@/components/ui/tabs';
import type { ExportJob } from '@/lib/exports/types';
import {
  exportManifestQueryOptions,
  exportVerificationQueryOptions,
  type ExportManifest,
} from '@/lib/queries/export-manifest-query';
import { storeJob } from '@/lib/queries/export-cache';
import { exportQueryOptions } from '@/lib/queries/exports-query';
import { queryKeys } from '@/lib/queries/keys';
import { useExportJobSubscription } from '@/lib/realtime/use-export-job-subscription';
import { actorLabel } from '@/lib/view-model/activity';
import { failureFocus, type FailureFocus } from '@/lib/view-model/failure-focus';
import { formatBytes, formatCount } from '@/lib/view-model/format';
import { jobStatusKey } from '@/lib/view-model/job-status';
import { ApprovalPanel, approvalToShow } from '@/components/approvals/approval-panel';
import { ExpiredBanner } from '@/components/retention/expired-banner';
import { ExpiryNote } from '@/components/retention/expiry-note';
import { KeepExportControl } from '@/components/retention/keep-export-control';
import { unwrittenLaneShards } from '@/lib/view-model/lane-positions';
import { milestoneMessage } from '@/lib/view-model/milestones';
import { plainError } from '@/lib/view-model/plain-error';
import { requesterLabel } from '@/lib/view-model/requester';
import { formatRunLengthSummary, shardRuns } from '@/lib/view-model/run-length';
import {
  deriveShardStates,
  isActive,
  SHARD_STATE_LABEL,
  SHARD_STATES,
  shardsInStates,
  stateAt,
} from '@/lib/view-model/shard-states';
import { ActivityTimeline } from './activity-timeline';
import { ExportActions } from './export-actions';
import { ExportCounters } from './export-counters';
import { ExportIdentity, ExportName } from './export-identity';
import { ShardInspector } from './shard-inspector';
import { SupportPanel } from './support-panel';
import { useLiveView } from './use-live-view';
import { useEta } from './use-eta';
import { useRate } from './use-rate';
import { useThrottledEffect } from './use-throttled-effect';
import { TechnicalDetails } from '@/components/ui/technical-details';

/** Tab, open shard and legend filter live in the URL: a support ticket can link straight to a shard. */
const urlState = {
  tab: parseAsStringLiteral(['shards', 'activity', 'support'] as const).withDefault('shards'),
  shard: parseAsInteger,
  state: parseAsArrayOf(parseAsStringLiteral(SHARD_STATES)).withDefault([]),
};

/**
 * How often the manifest is re-read while shards land: the job row streams in over Realtime (at most
 * twice a second), the manifest follows at most once a second. Each read brings only what changed since
 * the last (exportManifestQueryOptions), so its cost does not grow with the export.
 */
const MANIFEST_INTERVAL_MS = 1000;

export function ExportView({
  initialJob,
  currentUserId,
  canOperate,
  isAdmin,
}: {
  initialJob: ExportJob;
  currentUserId: string;
  /** Member, support or admin: may cancel, re-run and verify. A viewer sees and downloads only. */
  canOperate: boolean;
  /** Admin of the export's organisation: pins its files, approves or declines it. */
  isAdmin: boolean;
}) {
  const id = initialJob.id;
  const queryClient = useQueryClient();
  const connection = useExportJobSubscription(id);
  const { data: job = initialJob } = useQuery({ ...exportQueryOptions(id), initialData: initialJob });
  const manifest = useQuery(exportManifestQueryOptions(id));
  const sizes = useQuery(exportVerificationQueryOptions(id, false));
  const sums = useQuery(exportVerificationQueryOptions(id, true));
  const [{ tab, shard, state: stateFilter }, setUrl] = useQueryStates(urlState, { history: 'replace' });
  const summaryId = useId();
  const active = isActive(job.status);
  const live = useLiveView(id, connection.state, job.status === 'running', connection.lastMessageAt);
  const now = live.now;
  const rate = useRate(job, manifest.data?.shards);
  const timeLeft = useEta(job, manifest.data?.shards);

  // The manifest carries the job row too: keep whichever is newer.
  useEffect(() => {
    if (manifest.data) storeJob(queryClient, manifest.data.job);
  }, [manifest.data, queryClient]);

  // Read what changed in the manifest when the live row moved (throttled), never on a timer.
  useThrottledEffect(
    `${job.shards_written}|${job.status}|${job.cancel_requested_at ?? ''}|${job.updated_at}`,
    MANIFEST_INTERVAL_MS,
    () => void queryClient.invalidateQueries({ queryKey: queryKeys.exports.manifest(id) }),
  );

  const verification = (sums.dataUpdatedAt > sizes.dataUpdatedAt ? sums.data : sizes.data)?.verification ?? null;
  const damaged = useMemo(
    () => (verification ? new Set(verification.filter((c) => c.state !== 'ok').map((c) => c.shardNo)) : undefined),
    [verification],
  );
  const unwritten = useMemo(
    () => (manifest.data ? unwrittenLaneShards(job.run_no, manifest.data.shards, manifest.data.failures) : undefined),
    [job.run_no, manifest.data],
  );
  const model = useMemo(
    () => deriveShardStates({ job, shards: manifest.data?.shards, damaged, unwritten }),
    [job, manifest.data?.shards, damaged, unwritten],
  );
  const runs = useMemo(() => shardRuns(model), [model]);
  const summary = formatRunLengthSummary(runs);
  const visible = useMemo(() => shardsInStates(model, new Set(stateFilter)), [model, stateFilter]);
  const shardsByNo = useMemo(
    () => new Map((manifest.data?.shards ?? []).map((s) => [s.shard_no, s])),
    [manifest.data?.shards],
  );

  // A failed job opens on its own page — headline, error and Retry in view — with the failed shard the
  // banner names highlighted in the map and linked from the banner, not under a panel that covers them on
  // a phone.
  const focus = useMemo(() => failureFocus(job, manifest.data, model), [job, manifest.data, model]);
  const firstFailed = manifest.data && job.status === 'failed' ? (focus?.shardNo ?? model.firstFailed) : null;
  // The command palette's "go to shard N", cancel, retry and download, as this page and the role allow.
  useExportCommands({
    job,
    canOperate,
    shardCount: model.total,
    goToShard: (no) => void setUrl({ tab: null, shard: no, state: null }),
  });

  // Milestones for the polite live region: status changes and quarters, not every shard.
  const [announced, setAnnounced] = useState<{ job: ExportJob; message: string }>({ job, message: '' });
  if (announced.job !== job) {
    const message = milestoneMessage(announced.job, job);
    setAnnounced({ job, message: message ?? announced.message });
  }

  const describe = (no: number) => {
    const s = shardsByNo.get(no);
    const label = SHARD_STATE_LABEL[stateAt(model, no)];
    const position = model.positions.get(no);
    return s
      ? `Shard ${formatCount(no)} · ${label} · ${formatCount(s.rows)} records · ${formatBytes(s.bytes)} · keys (${s.key_after ?? '−∞'}, ${s.key_last}] · attempt ${s.attempt}`
      : position
        ? `Shard ${formatCount(no)} · ${label} · lane ${position.lane}, shard ${formatCount(position.laneSeq)} of the lane`
        : `Shard ${formatCount(no)} · ${label}`;
  };

  const statusKey = jobStatusKey(job);
  return (
    <div className="flex flex-col gap-6">
      <div className="flex flex-col gap-3">
        <Link
          href="/exports"
          className="inline-flex w-fit items-center gap-1 text-sm text-neutral-700 hover:text-neutral-900"
        >
          <ArrowLeftIcon aria-hidden className="size-4" />
          Exports
        </Link>
        <div className="flex flex-wrap items-start justify-between gap-4">
          <div className="flex flex-col gap-1.5">
            <div className="flex flex-wrap items-center gap-3">
              <ExportName job={job} canRename={canOperate} />
              <ExportStatusBadge job={job} />
              {/* Only while the export can still change: "Live" beside a finished one promises updates
                  that will not come. */}
              {active ? <ConnectionIndicator live={live} now={now} /> : null}
            </div>
            <p className="text-sm text-neutral-600">
              {job.collection} → {job.format.toUpperCase()} · {job.fields.length} column
              {job.fields.length === 1 ? '' : 's'} ·{' '}
              {job.filter ? (
                <>
                  filter <code className="rounded bg-neutral-100 px-1 font-mono text-neutral-800">{job.filter}</code>
                </>
              ) : (
                'all records'
              )}{' '}
              · requested by {requesterLabel(job.requested_by, currentUserId).toLowerCase()}{' '}
              <RelativeTime iso={job.created_at} />
            </p>
            <ExportIdentity job={job} />
            {job.expires_at || job.expired_at ? (
              <p className="flex flex-wrap items-center gap-2 text-sm text-neutral-700">
                <ExpiryNote job={job} />
                {isAdmin && !job.expired_at ? <KeepExportControl job={job} /> : null}
              </p>
            ) : null}
          </div>
          <ExportActions job={job} canOperate={canOperate} />
        </div>
      </div>

      <ExpiredBanner job={job} />
      {approvalToShow(job) ? (
        <ApprovalPanel job={job} isAdmin={isAdmin} />
      ) : (
        <StatusBanner
          job={job}
          statusKey={statusKey}
          manifest={manifest.data}
          currentUserId={currentUserId}
          now={now}
          focus={focus}
          failedShard={firstFailed}
          onOpenShard={(no) => void setUrl({ shard: no })}
        />
      )}

      <ExportCounters job={job} rate={rate} timeLeft={timeLeft} now={now} stale={live.stale} />

      <Tabs value={tab} onValueChange={(v) => void setUrl({ tab: v === 'support' || v === 'activity' ? v : null })}>
        <TabsList aria-label="Export views">
          <TabsTrigger value="shards">
            <MapIcon aria-hidden />
            Shards
          </TabsTrigger>
          <TabsTrigger value="activity">
            <HistoryIcon aria-hidden />
            Activity
          </TabsTrigger>
          <TabsTrigger value="support">
            <LifeBuoyIcon aria-hidden />
            Support
          </TabsTrigger>
        </TabsList>
        <TabsContent value="shards" className="flex flex-col gap-3">
          <div className="flex flex-wrap items-start justify-between gap-3">
            <ShardLegend
              model={model}
              selected={stateFilter}
              onToggle={(s) => {
                const next = stateFilter.includes(s) ? stateFilter.filter((x) => x !== s) : [...stateFilter, s];
                void setUrl({ state: next.length ? next : null });
              }}
              onClear={() => void setUrl({ state: null })}
            />
            <GoToShard total={model.total} onGo={(no) => void setUrl({ shard: no, state: null })} />
          </div>
          {manifest.isError ? (
            <p role="alert" className="text-sm text-red-700">
              The shard manifest could not be loaded: {manifest.error.message}. The map follows the live job row.
            </p>
          ) : null}
          <LaneBands lanes={job.lanes} />
          <ShardMap
            stale={live.stale}
            highlighted={firstFailed}
            model={model}
            visible={visible}
            selected={shard}
            onSelect={(no) => void setUrl({ shard: no })}
            describe={describe}
            summaryId={summaryId}
          />
          <div className="flex items-start gap-2">
            <p id={summaryId} className="flex-1 text-sm text-neutral-700 tabular-nums" data-testid="run-length-summary">
              <span className="sr-only">Shards: </span>
              {summary}
            </p>
            <Button
              variant="ghost"
              size="sm"
              onClick={() =>
                void navigator.clipboard.writeText(summary).then(
                  () => toast.success('Summary copied'),
                  () => toast.error('Could not copy the summary'),
                )
              }
            >
              <ClipboardCopyIcon aria-hidden />
              Copy summary
            </Button>
          </div>
        </TabsContent>
        <TabsContent value="activity">
          <ActivityTimeline job={job} manifest={manifest.data} currentUserId={currentUserId} />
        </TabsContent>
        <TabsContent value="support">
          <SupportPanel
            job={job}
            manifest={manifest.data}
            canOperate={canOperate}
            onOpenShard={(no) => void setUrl({ shard: no })}
          />
        </TabsContent>
      </Tabs>

      <ShardInspector
        job={job}
        shardNo={shard !== null && shard >= 1 && shard <= Math.max(model.total, 1) ? shard : null}
        state={shard !== null ? stateAt(model, shard) : null}
        position={shard !== null ? (model.positions.get(shard) ?? null) : null}
        manifest={manifest.data}
        check={verification?.find((c) => c.shardNo === shard)}
        canOperate={canOperate}
        onClose={() => void setUrl({ shard: null })}
      />

      <div role="status" aria-live="polite" className="sr-only" data-testid="milestones">
        {active || announced.message ? announced.message : ''}
      </div>
    </div>
  );
}

function StatusBanner({
  job,
  statusKey,
  manifest,
  currentUserId,
  now,
  focus,
  failedShard,
  onOpenShard,
}: {
  job: ExportJob;
  statusKey: ReturnType<typeof jobStatusKey>;
  manifest: ExportManifest | undefined;
  currentUserId: string;
  now: number;
  focus: FailureFocus | null;
  /** The shard the map highlights as failed, if any. */
  failedShard: number | null;
  onOpenShard: (shardNo: number) => void;
}) {
  const cancel = cancelFacts(job, manifest, currentUserId);
  if (statusKey === 'cancelling') {
    return (
      <div
        className="border-state-cancelled/40 bg-state-cancelled/5 flex items-start gap-2 rounded-md border px-4 py-3 text-sm"
        data-testid="cancel-banner"
      >
        <Loader2Icon aria-hidden className="text-state-cancelled-ink mt-0.5 size-4 shrink-0 motion-safe:animate-spin" />
        <span>
          <strong>Cancelling…</strong> Cancel requested{cancel?.by ? ` by ${cancel.by}` : ''}
          {cancel && now > 0 ? ` ${agoText(now - Date.parse(cancel.at))}` : ''}. Each lane stops after the shard it is
          writing; nothing is recorded after a lane sees the cancel.
          {cancel && cancel.shardsAfter > 0
            ? ` ${formatCount(cancel.shardsAfter)} shard${cancel.shardsAfter === 1 ? ' was' : 's were'} written since the request.`
            : ''}
        </span>
      </div>
    );
  }
  if (job.status === 'cancelled') {
    return (
      <div
        className="border-state-cancelled/40 bg-state-cancelled/5 flex items-center gap-2 rounded-md border px-4 py-3 text-sm"
        data-testid="cancel-banner"
      >
        <CircleSlashIcon aria-hidden className="text-state-cancelled-ink size-4" />
        <span>
          <strong>
            Cancelled — {formatCount(job.shards_written)} shard{job.shards_written === 1 ? '' : 's'} (
            {formatCount(job.rows_written)} records) written.
          </strong>{' '}
          {cancel
            ? `Cancel requested${cancel.by ? ` by ${cancel.by}` : ''} at ${format(new Date(cancel.at), 'HH:mm:ss')}${
                cancel.shardsAfter > 0
                  ? `; ${formatCount(cancel.shardsAfter)} shard${cancel.shardsAfter === 1 ? ' was' : 's were'} finished after it`
                  : ''
              }. `
            : ''}
          Download the partial file, or resume the rest with “Retry missing”.
        </span>
      </div>
    );
  }
  if ((job.status === 'failed' || job.status === 'retrying') && (job.last_error || job.last_error_kind)) {
    return (
      <ErrorBanner
        job={job}
        manifest={manifest}
        focus={focus}
        failedShard={failedShard}
        onOpenShard={onOpenShard}
        now={now}
      />
    );
  }

  if (job.status === 'completed' && job.estimated_rows !== job.rows_written) {
    return (
      <div className="rounded-md border border-neutral-300 bg-white px-4 py-3 text-sm text-neutral-700">
        Completed with {formatCount(job.rows_written)} records; the estimate at the start was{' '}
        {formatCount(job.estimated_rows)} (records changed while it ran).
      </div>
    );
  }
  return null;
}

/**
 * When the cancel was requested, by whom, and how many shards were still written after it (lanes finish
 * the shard they are writing): what the banner says instead of a promise.
 */
function cancelFacts(job: ExportJob, manifest: ExportManifest | undefined, currentUserId: string) {
  if (!job.cancel_requested_at) return null;
  const at = job.cancel_requested_at;
  const requested = manifest?.events.findLast((e) => e.kind === 'cancel_requested' && e.run_no === job.run_no);
  const shardsAfter =
    manifest?.shards.filter((s) => s.status === 'written' && Date.parse(s.written_at) > Date.parse(at)).length ?? 0;
  return {
    at,
    by: requested ? actorLabel(requested.actor, currentUserId, manifest?.members ?? []) : null,
    shardsAfter,
  };
}

/**
 * A failed or retrying export: the plain sentence first ("Couldn't save shard 38: storage unavailable —
 * tried 5 times over 1 min 12 s"), when the next try is, and the raw error, kind, lane and shard folded
 * one click away for support.
 */
function ErrorBanner({
  job,
  manifest,
  focus,
  failedShard,
  onOpenShard,
  now,
}: {
  job: ExportJob;
  manifest: ExportManifest | undefined;
  focus: FailureFocus | null;
  failedShard: number | null;
  onOpenShard: (shardNo: number) => void;
  now: number;
}) {
  const latest = focus?.failure;
  // Without a failure row (none recorded yet) the map's failed shard is all there is to name.
  const shardNo = focus ? focus.shardNo : failedShard;
  const plain = plainError(job, shardNo, focus?.tries ?? [], latest?.lane ?? null);
  const previous = shardNo !== null ? manifest?.shards.find((s) => s.shard_no === shardNo - 1) : undefined;
  const nextTry = job.status === 'retrying' && job.next_retry_at ? Date.parse(job.next_retry_at) : null;
  return (
    <div
      role="alert"
      className="border-state-failed/40 bg-state-failed/5 flex items-start gap-2 rounded-md border px-4 py-3 text-sm"
      data-testid="error-banner"
    >
      <AlertTriangleIcon aria-hidden className="text-state-failed-ink mt-0.5 size-4 shrink-0" />
      <div className="flex min-w-0 flex-1 flex-col gap-1">
        <p>
          <strong>
            {job.status === 'failed' ? 'Export failed' : `Retrying (attempt ${job.attempts} of ${job.max_attempts})`}
          </strong>
          {nextTry !== null ? (
            <>
              {' '}
              — next try at {format(nextTry, 'HH:mm:ss')}
              {now > 0 ? (nextTry > now ? ` (in ${Math.ceil((nextTry - now) / 1000)} s)` : ' (due now)') : ''}
            </>
          ) : null}
        </p>
        {plain ? <p>{plain.headline}.</p> : null}
        <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
          {shardNo !== null ? (
            <Button variant="link" size="sm" className="h-auto px-0" onClick={() => onOpenShard(shardNo)}>
              Open shard {formatCount(shardNo)}
            </Button>
          ) : null}
          {job.status === 'failed' ? <span>Retry re-runs only what is missing.</span> : null}
        </div>
        <TechnicalDetails>
          <dl className="mt-2 grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-xs">
            <dt className="text-neutral-600">Error</dt>
            <dd className="font-mono break-all">{job.last_error ?? '—'}</dd>
            <dt className="text-neutral-600">Kind</dt>
            <dd className="font-mono">{job.last_error_kind ?? '—'}</dd>
            {latest ? (
              <>
                <dt className="text-neutral-600">Lane</dt>
                <dd>
                  {latest.lane}, shard {formatCount(latest.lane_seq)} of the lane
                </dd>
                <dt className="text-neutral-600">Invocation</dt>
                <dd className="font-mono break-all">{latest.invocation_id ?? '—'}</dd>
              </>
            ) : null}
            {shardNo !== null ? (
              <>
                <dt className="text-neutral-600">Keys</dt>
                <dd className="font-mono">
                  {job.key_field} after {previous ? previous.key_last : '−∞'}
                </dd>
              </>
            ) : null}
          </dl>
        </TechnicalDetails>
      </div>
    </div>
  );
}
