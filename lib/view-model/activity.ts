import { format } from 'date-fns';
import type { ExportJob, OrganisationMember } from '@/lib/exports/types';
import type { ExportManifest } from '@/lib/queries/export-manifest-query';
import { formatBytes, formatCount, formatDuration } from './format';
import { END_REASON_LABEL } from './support-logic';

export type ActivityTone = 'neutral' | 'done' | 'running' | 'failed' | 'cancelled';

export type ActivityEntry = {
  key: string;
  at: string;
  kind:
    | 'created'
    | 'lanes'
    | 'invocation'
    | 'failure'
    | 'cancel_requested'
    | 'cancelled'
    | 'rerun_requested'
    | 'completed'
    | 'failed'
    | 'renamed'
    | 'downloaded';
  tone: ActivityTone;
  title: string;
  detail: string | null;
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
  const list = parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}` : (parts[0] ?? '');
  return `${count === 1 ? 'shard' : 'shards'} ${list}`;
}

const clock = (iso: string) => format(new Date(iso), 'HH:mm:ss');

/**
 * The export's activity, oldest first: who created it and with what, the lanes planned, every
 * invocation (how it ended), every failed attempt with its backoff, cancel requested (by whom) and
 * acknowledged, re-runs (by whom, which shards), each run's outcome, renames and downloads. Drawn from
 * the job row, the invocation timeline, the failed attempts and the events the database records.
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
    run: 1,
  });
  if (!manifest) return entries;

  manifest.invocations.forEach((inv, index) => {
    const reason = inv.end_reason ?? (inv.ended_at ? 'stopped' : 'running');
    const failed = reason === 'error' || reason === 'killed' || reason === 'lease_lost';
    const took =
      inv.wall_ms !== null
        ? formatDuration(inv.wall_ms)
        : inv.ended_at
          ? formatDuration(Date.parse(inv.ended_at) - Date.parse(inv.started_at))
          : null;
    entries.push({
      key: `inv-${inv.id}`,
      at: inv.started_at,
      kind: 'invocation',
      tone: failed ? 'failed' : reason === 'completed' ? 'done' : reason === 'cancelled' ? 'cancelled' : 'running',
      title: `Invocation #${index + 1}${inv.lane_no !== null ? ` on lane ${inv.lane_no}` : ''}: ${END_REASON_LABEL[reason as keyof typeof END_REASON_LABEL].toLowerCase()}`,
      detail: [
        `${formatCount(inv.shards_written)} shard${inv.shards_written === 1 ? '' : 's'}, ${formatCount(inv.rows_written)} records`,
        took,
        inv.generation !== null ? `generation ${inv.generation}` : null,
        `id ${inv.id.slice(0, 8)}`,
      ]
        .filter(Boolean)
        .join(' · '),
      endReason: reason,
      run: null,
    });
  });

  for (const f of manifest.failures) {
    const next =
      f.outcome === 'retrying' && f.next_retry_at
        ? `retry at ${clock(f.next_retry_at)} (after ${formatDuration(Date.parse(f.next_retry_at) - Date.parse(f.failed_at))})`
        : f.outcome === 'requeued'
          ? 'requeued at once'
          : 'gave up';
    entries.push({
      key: `fail-${f.id}`,
      at: f.failed_at,
      kind: 'failure',
      tone: 'failed',
      title: `Lane ${f.lane} failed, attempt ${f.attempt} of ${f.max_attempts}: ${next}`,
      detail: [f.error_kind, f.error].filter(Boolean).join(': ') || null,
      run: f.run_no,
    });
  }

  for (const e of manifest.events) {
    const by = who(e.actor);
    const base = { key: `ev-${e.id}`, at: e.at, kind: e.kind, run: e.run_no } as const;
    const written = (d: typeof e.detail) =>
      `${formatCount(d.rows ?? 0)} records in ${formatCount(d.shards ?? 0)} shard${d.shards === 1 ? '' : 's'}`;
    switch (e.kind) {
      case 'cancel_requested':
        entries.push({ ...base, tone: 'cancelled', title: `Cancel requested${by ? ` by ${by}` : ''}`, detail: null });
        break;
      case 'cancelled':
        entries.push({
          ...base,
          tone: 'cancelled',
          title: `Cancelled (run ${e.run_no}): the worker stopped`,
          detail: `${written(e.detail)} before the cancel`,
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
        });
        break;
      }
      case 'completed':
        entries.push({ ...base, tone: 'done', title: `Completed (run ${e.run_no})`, detail: written(e.detail) });
        break;
      case 'failed':
        entries.push({
          ...base,
          tone: 'failed',
          title: `Failed (run ${e.run_no})`,
          detail: [written(e.detail), [e.detail.error_kind, e.detail.error].filter(Boolean).join(': ')]
            .filter(Boolean)
            .join(' · '),
        });
        break;
      case 'renamed':
        entries.push({
          ...base,
          tone: 'neutral',
          title: `Renamed${by ? ` by ${by}` : ''}`,
          detail: `“${e.detail.from ?? ''}” → “${e.detail.to ?? ''}”`,
        });
        break;
      case 'downloaded':
        entries.push({
          ...base,
          tone: 'neutral',
          title: `Downloaded${by ? ` by ${by}` : ''}`,
          detail: [
            e.detail.partial ? 'partial file' : 'whole file',
            e.detail.form && e.detail.form !== 'plain' ? `form ${e.detail.form}` : null,
            e.detail.bytes ? formatBytes(e.detail.bytes) : null,
          ]
            .filter(Boolean)
            .join(' · '),
        });
        break;
    }
  }
  // Stable: equal times keep the order above (created before lanes, an invocation before its failure).
  return entries
    .map((e, i) => ({ e, i }))
    .sort((a, b) => Date.parse(a.e.at) - Date.parse(b.e.at) || a.i - b.i)
    .map(({ e }) => e);
}
