import type { ExportInvocation, ExportJob } from '@/lib/exports/types';

export type ErrorGroup = {
  kind: string;
  count: number;
  /** The newest message of the group. */
  message: string;
  invocationIds: string[];
  lastAt: string;
  /** True when the job row's current error belongs to this group. */
  current: boolean;
};

/** The worker stores invocation errors as "kind: message" (supabase/functions/_shared/worker/held-lease.ts). */
export function splitError(text: string): { kind: string; message: string } {
  const match = /^([a-z_]+):\s*([\s\S]*)$/.exec(text);
  return match ? { kind: match[1]!, message: match[2]! } : { kind: 'error', message: text };
}

/**
 * Errors grouped by kind, most frequent first ("812 × source_unavailable · 12 × storage_failed"): the
 * invocations that ended with one, plus the job's current error if no invocation recorded it.
 */
export function groupErrors(
  job: Pick<ExportJob, 'last_error' | 'last_error_kind' | 'updated_at'>,
  invocations: readonly Pick<ExportInvocation, 'id' | 'error' | 'started_at' | 'ended_at'>[],
): ErrorGroup[] {
  const groups = new Map<string, ErrorGroup>();
  for (const inv of invocations) {
    if (!inv.error) continue;
    const { kind, message } = splitError(inv.error);
    const at = inv.ended_at ?? inv.started_at;
    const g = groups.get(kind);
    if (!g) groups.set(kind, { kind, count: 1, message, invocationIds: [inv.id], lastAt: at, current: false });
    else {
      g.count += 1;
      g.invocationIds.push(inv.id);
      if (at >= g.lastAt) {
        g.lastAt = at;
        g.message = message;
      }
    }
  }
  if (job.last_error) {
    const kind = job.last_error_kind ?? 'error';
    const g = groups.get(kind);
    if (g) g.current = true;
    else
      groups.set(kind, {
        kind,
        count: 1,
        message: job.last_error,
        invocationIds: [],
        lastAt: job.updated_at,
        current: true,
      });
  }
  return [...groups.values()].sort((a, b) => b.count - a.count || b.lastAt.localeCompare(a.lastAt));
}

/**
 * Parses "3, 10-12, 40" into shard numbers (sorted, unique), limited to 1..max. Returns an error
 * message for anything else, so support can type ranges from a ticket.
 */
export function parseShardList(
  text: string,
  max: number,
): { ok: true; shardNos: number[] } | { ok: false; message: string } {
  const out = new Set<number>();
  for (const part of text.split(/[\s,]+/).filter(Boolean)) {
    const m = /^(\d+)(?:\s*[-–]\s*(\d+))?$/.exec(part);
    if (!m) return { ok: false, message: `“${part}” is not a shard number or range.` };
    const from = Number(m[1]);
    const to = m[2] ? Number(m[2]) : from;
    if (from < 1 || to < from || to > max) return { ok: false, message: `${part} is outside shards 1–${max}.` };
    if (to - from > 100_000) return { ok: false, message: `${part} is too large a range.` };
    for (let n = from; n <= to; n += 1) out.add(n);
  }
  return { ok: true, shardNos: [...out].sort((a, b) => a - b) };
}

export const END_REASON_LABEL: Record<NonNullable<ExportInvocation['end_reason']> | 'running', string> = {
  handoff: 'Handed off',
  completed: 'Completed',
  cancelled: 'Cancelled',
  error: 'Error',
  lease_lost: 'Lease lost',
  killed: 'Killed',
  declined: 'Declined',
  stopped: 'Stopped (job ended)',
  running: 'Running',
};

/** One tone per way an invocation ended, for the support panel's badges and the activity's rows alike. */
export const END_REASON_TONE: Record<
  keyof typeof END_REASON_LABEL,
  'done' | 'running' | 'failed' | 'cancelled' | 'neutral'
> = {
  handoff: 'running',
  completed: 'done',
  cancelled: 'cancelled',
  error: 'failed',
  lease_lost: 'failed',
  killed: 'failed',
  declined: 'neutral',
  // The job ended (cancelled, or failed on another lane) while this invocation was still at work.
  stopped: 'cancelled',
  running: 'running',
};
