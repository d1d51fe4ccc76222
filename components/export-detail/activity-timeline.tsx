'use client';

import { format } from 'date-fns';
import {
  CircleCheckIcon,
  CircleSlashIcon,
  CircleXIcon,
  DownloadIcon,
  PencilIcon,
  PlayIcon,
  PlusCircleIcon,
  RotateCcwIcon,
  SplitIcon,
  TriangleAlertIcon,
  type LucideIcon,
} from 'lucide-react';
import { useId, useMemo, useState } from 'react';
import type { ExportJob } from '@/lib/exports/types';
import type { ExportManifest } from '@/lib/queries/export-manifest-query';
import { cn } from '@/lib/utils';
import { buildActivity, type ActivityEntry, type ActivityTone } from '@/lib/view-model/activity';
import { formatCount } from '@/lib/view-model/format';
import { ThroughputChart } from './throughput-chart';

const ICON: Record<ActivityEntry['kind'], LucideIcon> = {
  created: PlusCircleIcon,
  lanes: SplitIcon,
  invocation: PlayIcon,
  failure: TriangleAlertIcon,
  cancel_requested: CircleSlashIcon,
  cancelled: CircleSlashIcon,
  rerun_requested: RotateCcwIcon,
  completed: CircleCheckIcon,
  failed: CircleXIcon,
  renamed: PencilIcon,
  downloaded: DownloadIcon,
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
 * The export's activity, oldest first, as one list a person can read top to bottom: who created it and
 * how, lanes, invocations, failures with their backoff, cancels, re-runs, outcomes, renames, downloads.
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
  const entries = useMemo(
    () => buildActivity(job, manifest, currentUserId, manifest?.members ?? []),
    [job, manifest, currentUserId],
  );
  const handoffs = entries.filter((e) => e.kind === 'invocation' && e.endReason === 'handoff').length;
  const [showAll, setShowAll] = useState(false);
  const fold = handoffs > FOLD_HANDOFFS_OVER && !showAll;
  const shown = fold ? entries.filter((e) => !(e.kind === 'invocation' && e.endReason === 'handoff')) : entries;
  const headingId = useId();
  return (
    <div className="flex flex-col gap-6">
      <ThroughputChart shards={manifest?.shards ?? []} />
      <section aria-labelledby={headingId} className="flex flex-col gap-3">
        <div className="flex flex-wrap items-baseline justify-between gap-2">
          <h2 id={headingId} className="text-base font-semibold">
            Activity <span className="font-normal text-neutral-600">({formatCount(entries.length)})</span>
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
        {!manifest ? <p className="text-sm text-neutral-600">Loading the history…</p> : null}
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
                </div>
              </li>
            );
          })}
        </ol>
      </section>
    </div>
  );
}
