import { format } from 'date-fns';
import type { ExportJob, OrganisationMember } from '@/lib/exports/types';
import type { ExportManifest } from '@/lib/queries/export-manifest-query';
import { andList, formatBytes, formatCount, formatDuration } from './format';
import { plainErrorCause, plainErrorKind } from './plain-error';
import { END_REASON_LABEL, END_REASON_TONE } from './support-logic';

export type ActivityTone = 'neutral' | 'done' | 'running' | 'failed' | 'cancelled';

export type ActivityKind =
  | 'created'
  | 'lanes'
  | 'invocation_started'
  | 'invocation_ended'
  | 'failure'
  | 'cancel_requested'
  | 'cancelled'
  | 'rerun_requested'
  | 'completed'
  | 'failed'
  | 'renamed'
  | 'downloaded'
  | 'approval_requested'
  | 'approved'
  | 'declined'
  | 'kept'
  | 'expired';

export type ActivityEntry = {
  key: string;
  /** When it happened: a worker run's start at its start, its end at its end. */
  at: string;
  kind: ActivityKind;
  tone: ActivityTone;
  /** One plain sentence, never raw error text. */
  title: string;
  detail: string | null;
  /** The raw error or identifiers, for support: shown one click away. */
  technical: string | null;
  /** The lane it concerns, if one. */
  lane: number | null;
  /** Who did it: a user id, or null when Baton did it by itself. */
  actor: string | null;
  /** For invocations: how they ended (the UI folds plain hand-offs of long exports). */
  endReason?: string;
  run: number | null;
};

type Manifest = Pick<ExportManifest, 'invocations' | 'failures' | 'events'>;

/** "you", a colleague's email, or "a former member" (the account was deleted); null: the system. */
export function actorLabel(
  actor: string | null,
  currentUserId: string,
  members: readonly OrganisationMember[],
): string | null {
  if (!actor) return null;
  if (actor === currentUserId) return 'you';
  return members.find((m) => m.user_id === actor)?.email ?? 'a former member';
}

/** [9, 3, 4, 5] → [[3, 5], [9, 9]]: shard numbers as ascending runs. */
export function numberRanges(numbers: readonly number[]): Array<[number, number]> {
  const sorted = [...new Set(numbers)].sort((a, b) => a - b);
  const out: Array<[number, number]> = [];
  for (const n of sorted) {
    const last = out.at(-1);
    if (last && n === last[1] + 1) last[1] = n;
    else out.push([n, n]);
  }
  return out;
}

/** [[3,5],[9,9]] → "shards 3–5 and 9". */
export function formatShardRanges(ranges: ReadonlyArray<readonly [number, number]>): string {
  const parts = ranges.map(([a, b]) => (a === b ? formatCount(a) : `${formatCount(a)}–${formatCount(b)}`));
  const count = ranges.reduce((n, [a, b]) => n + b - a + 1, 0);
  return `${count === 1 ? 'shard' : 'shards'} ${andList(parts)}`;
}

const clock = (iso: string) => format(new Date(iso), 'HH:mm:ss');

/**
 * A time as microseconds since the epoch. Postgres stamps microseconds and Date.parse keeps only
 * milliseconds: a cancel request and the lane that saw it a few hundred µs later must not tie.
 */
export function instant(iso: string): number {
  const micros = /\.\d{3}(\d{1,3})/.exec(iso)?.[1] ?? '';
  return Date.parse(iso) * 1000 + Number(micros.padEnd(3, '0'));
}

/**
 * The order of rows stamped with the same instant. One transaction stamps all its rows with one now():
 * a cancel of an idle export records "cancel requested" and "cancelled" together, the trigger's row
 * first — the request must still read before what it caused.
 */
const SAME_INSTANT_RANK: Record<ActivityKind, number> = {
  created: 0,
  lanes: 1,
  cancel_requested: 2,
  rerun_requested: 2,
  renamed: 2,
  invocation_started: 3,
  failure: 4,
  invocation_ended: 5,
  completed: 6,
  failed: 6,
  cancelled: 6,
  downloaded: 7,
  approval_requested: 1,
  approved: 2,
  declined: 2,
  kept: 2,
  expired: 7,
};

/** Shards and records written, as the outcome events and invocations say them. */
const written = (shards: number, rows: number) =>
  `${formatCount(rows)} records in ${formatCount(shards)} shard${shards === 1 ? '' : 's'}`;

/** "source_unavailable: Typesense answered 503", or null when neither is known. */
const rawError = (kind: string | null | undefined, error: string | null | undefined) =>
  [kind, error].filter(Boolean).join(': ') || null;

/**
 * A download's row: by whom or through which link, what was asked (whole file or a byte range, which
 * form), and what went out (all of it, or cut short after so many bytes).
 */
export function downloadEntry(
  e: ExportManifest['events'][number],
  by: string | null,
): Pick<ActivityEntry, 'tone' | 'title' | 'detail' | 'technical'> {
  const { detail } = e;
  const cut = detail.outcome === 'cut';
  const through = e.share_link_id
    ? ` through a share link${detail.note ? ` (“${detail.note}”)` : ''}`
    : detail.apiTokenId
      ? ' with an API token'
      : by
        ? ` by ${by}`
        : '';
  const sent =
    detail.bytes === undefined
      ? null
      : cut && detail.size !== undefined
        ? `${formatBytes(detail.bytes)} sent, then cut short`
        : formatBytes(detail.bytes);
  return {
    tone: cut ? 'cancelled' : 'neutral',
    title: `${cut ? 'Download cut short' : 'Downloaded'}${through}`,
    detail: [
      detail.partial ? 'partial file' : 'whole file',
      detail.range ? `bytes ${formatCount(detail.range[0])}–${formatCount(detail.range[1])}` : null,
      detail.form && detail.form !== 'plain' ? `form ${detail.form}` : null,
      sent,
    ]
      .filter(Boolean)
      .join(' · '),
    technical: e.share_link_id
      ? `share link ${e.share_link_id}`
      : detail.apiTokenId
        ? `API token ${detail.apiTokenId}`
        : null,
  };
}

/**
 * The export's activity, strictly in the order things happened: who created it and with what, the lanes
 * planned, every invocation's start (when it started) and its end (when it ended, and how), every failed
 * attempt with its backoff, cancel requested (by whom) and acknowledged, re-runs (by whom, which shards),
 * each run's outcome, renames and downloads. Each row leads with a plain sentence; raw errors and ids are
 * kept in `technical`. Drawn from the job row, the invocation timeline, the failed attempts and the
 * events the database records.
 */
export function buildActivity(
  job: ExportJob,
  manifest: Manifest | undefined,
  currentUserId: string,
  members: readonly OrganisationMember[],
): ActivityEntry[] {
  const who = (actor: string | null) => actorLabel(actor, currentUserId, members);
  const entries: ActivityEntry[] = [];
  const creator = who(job.requested_by) ?? 'a former member';
  entries.push({
    key: 'created',
    at: job.created_at,
    kind: 'created',
    tone: 'neutral',
    title: `Created by ${creator}`,
    detail: [
      `${job.collection} → ${job.format.toUpperCase()}`,
      job.filter ? `filter ${job.filter}` : 'all records',
      `${formatCount(job.fields.length)} column${job.fields.length === 1 ? '' : 's'}`,
      `about ${formatCount(job.estimated_rows)} records`,
      `${formatCount(job.page_size)} records a shard`,
    ].join(' · '),
    technical: `export ${job.id}`,
    lane: null,
    actor: job.requested_by,
    run: 1,
  });
  entries.push({
    key: 'lanes',
    at: job.created_at,
    kind: 'lanes',
    tone: 'neutral',
    title: `Planned ${formatCount(job.lane_count)} lane${job.lane_count === 1 ? '' : 's'}`,
    detail:
      job.lane_bounds.length > 0
        ? `Split on ${job.key_field} at ${job.lane_bounds.map((b) => formatCount(BigInt(b))).join(', ')}`
        : `One chain over the whole ${job.key_field} range`,
    technical: null,
    lane: null,
    actor: null,
    run: 1,
  });
  if (!manifest) return entries;

  manifest.invocations.forEach((inv, index) => {
    const reason = inv.end_reason ?? (inv.ended_at ? 'stopped' : 'running');
    const name = `Invocation #${index + 1}${inv.lane_no !== null ? ` on lane ${inv.lane_no}` : ''}`;
    const ids = [inv.generation !== null ? `generation ${inv.generation}` : null, `invocation ${inv.id}`]
      .filter(Boolean)
      .join(' · ');
    const common = { lane: inv.lane_no, actor: null, endReason: reason, run: null } as const;
    // A declined call never ran (the lane was taken, capped or finished): one row, when it was turned away.
    if (reason === 'declined') {
      entries.push({
        ...common,
        key: `inv-${inv.id}`,
        at: inv.started_at,
        kind: 'invocation_ended',
        tone: 'neutral',
        title: `${name} was declined: the lane was taken, finished or over the running-lane cap`,
        detail: null,
        technical: ids,
      });
      return;
    }
    entries.push({
      ...common,
      key: `inv-${inv.id}-start`,
      at: inv.started_at,
      kind: 'invocation_started',
      tone: 'running',
      title: `${name} started`,
      detail: null,
      technical: ids,
    });
    if (!inv.ended_at) return;
    const took = inv.wall_ms !== null ? inv.wall_ms : Date.parse(inv.ended_at) - Date.parse(inv.started_at);
    entries.push({
      ...common,
      key: `inv-${inv.id}-end`,
      at: inv.ended_at,
      kind: 'invocation_ended',
      tone: END_REASON_TONE[reason as keyof typeof END_REASON_TONE],
      title: `${name} ended: ${END_REASON_LABEL[reason as keyof typeof END_REASON_LABEL].toLowerCase()}`,
      detail: `${written(inv.shards_written, inv.rows_written)} · ran ${formatDuration(took)}`,
      technical: [inv.error, ids].filter(Boolean).join(' · '),
    });
  });

  for (const f of manifest.failures) {
    const plain = plainErrorKind(f.error_kind);
    const next =
      f.outcome === 'retrying' && f.next_retry_at
        ? `retry at ${clock(f.next_retry_at)} (after ${formatDuration(Date.parse(f.next_retry_at) - Date.parse(f.failed_at))})`
        : f.outcome === 'requeued'
          ? 'queued again at once'
          : 'gave up';
    entries.push({
      key: `fail-${f.id}`,
      at: f.failed_at,
      kind: 'failure',
      tone: 'failed',
      title: `Lane ${f.lane} couldn't ${plain.verb} its shard ${formatCount(f.lane_seq)}: ${plain.cause}`,
      detail: `Attempt ${f.attempt} of ${f.max_attempts}: ${next}`,
      technical: [rawError(f.error_kind, f.error), f.invocation_id ? `invocation ${f.invocation_id}` : null]
        .filter(Boolean)
        .join(' · '),
      lane: f.lane,
      actor: null,
      run: f.run_no,
    });
  }

  for (const e of manifest.events) {
    const by = who(e.actor);
    const base = { key: `ev-${e.id}`, at: e.at, kind: e.kind, run: e.run_no, lane: null, actor: e.actor } as const;
    const wrote = (d: typeof e.detail) => written(d.shards ?? 0, d.rows ?? 0);
    switch (e.kind) {
      case 'cancel_requested':
        entries.push({
          ...base,
          tone: 'cancelled',
          title: `Cancel requested${by ? ` by ${by}` : ''}`,
          detail: null,
          technical: null,
        });
        break;
      case 'cancelled':
        entries.push({
          ...base,
          tone: 'cancelled',
          title: `Cancelled (run ${e.run_no}): the worker stopped`,
          detail: `${wrote(e.detail)} before the cancel`,
          technical: null,
        });
        break;
      case 'rerun_requested': {
        const what = [
          e.detail.shard_ranges?.length ? formatShardRanges(e.detail.shard_ranges) : null,
          e.detail.tail ? 'the unwritten rest' : null,
        ].filter(Boolean);
        entries.push({
          ...base,
          tone: 'running',
          title: `Re-run requested${by ? ` by ${by}` : ''} (run ${e.run_no})`,
          detail: what.length ? `Re-runs ${what.join(' and ')}` : null,
          technical: null,
        });
        break;
      }
      case 'completed':
        entries.push({
          ...base,
          tone: 'done',
          title: `Completed (run ${e.run_no})`,
          detail: wrote(e.detail),
          technical: null,
        });
        break;
      case 'failed': {
        const raw = rawError(e.detail.error_kind, e.detail.error);
        entries.push({
          ...base,
          tone: 'failed',
          title: `Failed (run ${e.run_no})${raw ? `: ${plainErrorCause(e.detail.error_kind)}` : ''}`,
          detail: wrote(e.detail),
          technical: raw,
        });
        break;
      }
      case 'renamed':
        entries.push({
          ...base,
          tone: 'neutral',
          title: `Renamed${by ? ` by ${by}` : ''}`,
          detail: `“${e.detail.from ?? ''}” → “${e.detail.to ?? ''}”`,
          technical: null,
        });
        break;
      case 'downloaded':
        entries.push({ ...base, ...downloadEntry(e, by) });
        break;
      case 'approval_requested':
        entries.push({
          ...base,
          tone: 'running',
          title: 'Waiting for an admin’s approval',
          detail: `About ${formatCount(e.detail.estimated_rows ?? 0)} records, above the organisation’s threshold of ${formatCount(e.detail.threshold ?? 0)}`,
          technical: null,
        });
        break;
      case 'approved':
        entries.push({
          ...base,
          tone: 'done',
          title: `Approved${by ? ` by ${by}` : ''}`,
          detail: null,
          technical: null,
        });
        break;
      case 'declined':
        entries.push({
          ...base,
          tone: 'cancelled',
          title: `Declined${by ? ` by ${by}` : ''}`,
          detail: e.detail.reason ?? null,
          technical: null,
        });
        break;
      case 'kept':
        entries.push({
          ...base,
          tone: 'neutral',
          title: e.detail.until
            ? `Files kept until ${format(new Date(e.detail.until), 'd MMM yyyy')}${by ? ` by ${by}` : ''}`
            : `Files back on the organisation’s retention period${by ? ` (${by})` : ''}`,
          detail: null,
          technical: null,
        });
        break;
      case 'expired':
        entries.push({
          ...base,
          tone: 'neutral',
          title: 'Files expired and removed',
          detail: `${formatCount(e.detail.removed_objects ?? 0)} stored objects removed; the manifest and this activity stay`,
          technical: null,
        });
        break;
    }
  }
  // Strictly by time, to the microsecond; at the same instant, cause before effect, then the order above.
  return entries
    .map((e, i) => ({ e, i, t: instant(e.at) }))
    .sort((a, b) => a.t - b.t || SAME_INSTANT_RANK[a.e.kind] - SAME_INSTANT_RANK[b.e.kind] || a.i - b.i)
    .map(({ e }) => e);
}
