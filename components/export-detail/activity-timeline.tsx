'use client';

import { format } from 'date-fns';
import {
  ArchiveXIcon,
  CircleCheckIcon,
  CircleSlashIcon,
  CircleStopIcon,
  CircleXIcon,
  DownloadIcon,
  FileDownIcon,
  HourglassIcon,
  PencilIcon,
  PinIcon,
  PlayIcon,
  PlusCircleIcon,
  RotateCcwIcon,
  SplitIcon,
  TriangleAlertIcon,
  type LucideIcon,
} from 'lucide-react';
import { parseAsInteger, parseAsString, parseAsStringLiteral, useQueryStates } from 'nuqs';
import { useId, useMemo, useState } from 'react';
import { Button } from '@/components/ui/button';
import { Select } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import type { ExportJob } from '@/lib/exports/types';
import type { ExportManifest } from '@/lib/queries/export-manifest-query';
import { cn } from '@/lib/utils';
import { buildActivity, type ActivityEntry, type ActivityTone } from '@/lib/view-model/activity';
import { activityCsv, activityCsvFileName } from '@/lib/view-model/activity-csv';
import {
  ACTIVITY_KIND_FILTER_IDS,
  ACTIVITY_KIND_FILTERS,
  activityPeople,
  filterActivity,
  personLabel,
  SYSTEM_ACTOR,
} from '@/lib/view-model/activity-filter';
import { formatCount } from '@/lib/view-model/format';
import { ThroughputChart } from './throughput-chart';
import { TechnicalDetails } from '@/components/ui/technical-details';

/** The activity's filters live in the URL, like the rest of the page: a filtered view can be linked. */
const urlState = {
  kind: parseAsStringLiteral(ACTIVITY_KIND_FILTER_IDS),
  lane: parseAsInteger,
  by: parseAsString,
};

const ICON: Record<ActivityEntry['kind'], LucideIcon> = {
  created: PlusCircleIcon,
  lanes: SplitIcon,
  invocation_started: PlayIcon,
  invocation_ended: CircleStopIcon,
  failure: TriangleAlertIcon,
  cancel_requested: CircleSlashIcon,
  cancelled: CircleSlashIcon,
  rerun_requested: RotateCcwIcon,
  completed: CircleCheckIcon,
  failed: CircleXIcon,
  renamed: PencilIcon,
  downloaded: DownloadIcon,
  approval_requested: HourglassIcon,
  approved: CircleCheckIcon,
  declined: CircleXIcon,
  kept: PinIcon,
  expired: ArchiveXIcon,
};

const TONE: Record<ActivityTone, string> = {
  neutral: 'text-neutral-700 border-neutral-300 bg-white',
  done: 'text-state-done-ink border-state-done/40 bg-state-done/5',
  running: 'text-state-running-ink border-state-running/40 bg-state-running/5',
  failed: 'text-state-failed-ink border-state-failed/40 bg-state-failed/5',
  cancelled: 'text-state-cancelled-ink border-state-cancelled/40 bg-state-cancelled/5',
};

/** Past this many invocations, plain hand-offs fold away (a long export has hundreds). */
const FOLD_HANDOFFS_OVER = 20;

/**
 * The export's activity, in the order things happened, as one list a person can read top to bottom: who
 * created it and how, lanes, invocations, failures with their backoff, cancels, re-runs, outcomes,
 * renames, downloads. Filterable by kind, lane and person (in the URL), and downloadable as CSV — the
 * rows the filters show.
 */
export function ActivityTimeline({
  job,
  manifest,
  currentUserId,
}: {
  job: ExportJob;
  manifest: ExportManifest | undefined;
  currentUserId: string;
}) {
  const members = useMemo(() => manifest?.members ?? [], [manifest?.members]);
  const entries = useMemo(
    () => buildActivity(job, manifest, currentUserId, members),
    [job, manifest, currentUserId, members],
  );
  const [filter, setFilter] = useQueryStates(urlState, { history: 'replace' });
  const filtered = useMemo(() => filterActivity(entries, filter), [entries, filter]);
  const people = useMemo(() => activityPeople(entries, currentUserId, members), [entries, currentUserId, members]);
  const filtering = filter.kind !== null || filter.lane !== null || filter.by !== null;
  const isHandoff = (e: ActivityEntry) => e.kind.startsWith('invocation') && e.endReason === 'handoff';
  const handoffs = filtered.filter((e) => e.kind === 'invocation_ended' && isHandoff(e)).length;
  const [showAll, setShowAll] = useState(false);
  const fold = handoffs > FOLD_HANDOFFS_OVER && !showAll;
  const shown = fold ? filtered.filter((e) => !isHandoff(e)) : filtered;
  const headingId = useId();
  const ids = { kind: useId(), lane: useId(), by: useId() };

  const download = () => {
    const csv = activityCsv(filtered, (actor) => personLabel(actor ?? SYSTEM_ACTOR, currentUserId, members));
    const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv;charset=utf-8' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = activityCsvFileName(job.name);
    link.click();
    // The browser has taken the file once the click is handled; the object URL can go.
    setTimeout(() => URL.revokeObjectURL(url), 0);
  };

  return (
    <div className="flex flex-col gap-6">
      <ThroughputChart shards={manifest?.shards ?? []} />
      <section aria-labelledby={headingId} className="flex flex-col gap-3">
        <div className="flex flex-wrap items-baseline justify-between gap-2">
          <h2 id={headingId} className="text-base font-semibold">
            Activity{' '}
            <span className="font-normal text-neutral-600">
              (
              {filtering
                ? `${formatCount(filtered.length)} of ${formatCount(entries.length)}`
                : formatCount(entries.length)}
              )
            </span>
          </h2>
          {handoffs > FOLD_HANDOFFS_OVER ? (
            <label className="inline-flex items-center gap-2 text-sm">
              <input
                type="checkbox"
                checked={showAll}
                onChange={(e) => setShowAll(e.target.checked)}
                className="size-4 accent-neutral-900"
              />
              Show all {formatCount(handoffs)} hand-offs
            </label>
          ) : null}
        </div>
        <div role="group" aria-label="Filter the activity" className="flex flex-wrap items-end gap-3">
          <div className="flex w-full flex-col gap-1 sm:w-44">
            <Label htmlFor={ids.kind}>Kind</Label>
            <Select
              id={ids.kind}
              value={filter.kind ?? ''}
              onChange={(e) =>
                void setFilter({ kind: ACTIVITY_KIND_FILTER_IDS.find((k) => k === e.target.value) ?? null })
              }
            >
              <option value="">All kinds</option>
              {ACTIVITY_KIND_FILTER_IDS.map((k) => (
                <option key={k} value={k}>
                  {ACTIVITY_KIND_FILTERS[k].label}
                </option>
              ))}
            </Select>
          </div>
          <div className="flex w-full flex-col gap-1 sm:w-32">
            <Label htmlFor={ids.lane}>Lane</Label>
            <Select
              id={ids.lane}
              value={filter.lane ?? ''}
              onChange={(e) => void setFilter({ lane: e.target.value ? Number(e.target.value) : null })}
            >
              <option value="">All lanes</option>
              {Array.from({ length: job.lane_count }, (_, i) => i + 1).map((lane) => (
                <option key={lane} value={lane}>
                  Lane {lane}
                </option>
              ))}
            </Select>
          </div>
          <div className="flex w-full flex-col gap-1 sm:w-56">
            <Label htmlFor={ids.by}>Person</Label>
            <Select
              id={ids.by}
              value={filter.by ?? ''}
              onChange={(e) => void setFilter({ by: e.target.value || null })}
            >
              <option value="">Everyone</option>
              {people.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.label}
                </option>
              ))}
              {filter.by !== null && !people.some((p) => p.id === filter.by) ? (
                <option value={filter.by}>{filter.by === SYSTEM_ACTOR ? 'Baton (automatic)' : 'someone else'}</option>
              ) : null}
            </Select>
          </div>
          {filtering ? (
            <Button variant="ghost" onClick={() => void setFilter({ kind: null, lane: null, by: null })}>
              Clear filters
            </Button>
          ) : null}
          <Button variant="outline" className="sm:ml-auto" disabled={filtered.length === 0} onClick={download}>
            <FileDownIcon aria-hidden />
            Download CSV ({formatCount(filtered.length)} row{filtered.length === 1 ? '' : 's'})
          </Button>
        </div>
        {!manifest ? <p className="text-sm text-neutral-600">Loading the history…</p> : null}
        {manifest && filtered.length === 0 ? (
          <p className="text-sm text-neutral-600">Nothing in the activity matches these filters.</p>
        ) : null}
        <ol aria-label="Activity timeline" className="flex flex-col">
          {shown.map((e) => {
            const Icon = ICON[e.kind];
            return (
              <li key={e.key} className="relative flex gap-3 pb-3 last:pb-0" data-kind={e.kind}>
                <span
                  aria-hidden
                  className={cn(
                    'mt-0.5 flex size-7 shrink-0 items-center justify-center rounded-full border',
                    TONE[e.tone],
                  )}
                >
                  <Icon className="size-4" />
                </span>
                <div className="flex min-w-0 flex-col text-sm">
                  <p>
                    <time dateTime={e.at} className="mr-2 text-neutral-600 tabular-nums">
                      {format(new Date(e.at), 'd MMM HH:mm:ss')}
                    </time>
                    <span className="font-medium">{e.title}</span>
                  </p>
                  {e.detail ? <p className="break-words text-neutral-700">{e.detail}</p> : null}
                  {e.technical ? (
                    <TechnicalDetails className="text-xs">
                      <p className="mt-1 font-mono break-all text-neutral-700">{e.technical}</p>
                    </TechnicalDetails>
                  ) : null}
                </div>
              </li>
            );
          })}
        </ol>
      </section>
    </div>
  );
}
