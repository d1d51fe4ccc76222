import type { OrganisationMember } from '@/lib/exports/types';
import { actorLabel, type ActivityEntry, type ActivityKind } from './activity';

/** The kinds a person filters the activity by, each a few entry kinds that belong together. */
export const ACTIVITY_KIND_FILTERS = {
  worker: { label: 'Worker runs', kinds: ['invocation_started', 'invocation_ended'] },
  failures: { label: 'Failures', kinds: ['failure', 'failed'] },
  cancels: { label: 'Cancels', kinds: ['cancel_requested', 'cancelled'] },
  reruns: { label: 'Re-runs', kinds: ['rerun_requested'] },
  outcomes: { label: 'Outcomes', kinds: ['completed', 'failed', 'cancelled'] },
  setup: { label: 'Created and planned', kinds: ['created', 'lanes'] },
  renames: { label: 'Renames', kinds: ['renamed'] },
  downloads: { label: 'Downloads', kinds: ['downloaded'] },
  approvals: { label: 'Approvals', kinds: ['approval_requested', 'approved', 'declined'] },
  retention: { label: 'Retention', kinds: ['kept', 'expired'] },
} as const satisfies Record<string, { label: string; kinds: readonly ActivityKind[] }>;

export type ActivityKindFilter = keyof typeof ACTIVITY_KIND_FILTERS;
export const ACTIVITY_KIND_FILTER_IDS = Object.keys(ACTIVITY_KIND_FILTERS) as ActivityKindFilter[];

/** `by` of the filter for what Baton did by itself (worker runs, failures, outcomes). */
export const SYSTEM_ACTOR = 'system';

export type ActivityFilter = {
  kind: ActivityKindFilter | null;
  lane: number | null;
  /** A user id, SYSTEM_ACTOR, or null for everyone. */
  by: string | null;
};

/** The rows that match every filter set; a lane filter keeps only rows about that lane. */
export function filterActivity(entries: readonly ActivityEntry[], filter: ActivityFilter): ActivityEntry[] {
  const kinds = filter.kind ? new Set<ActivityKind>(ACTIVITY_KIND_FILTERS[filter.kind].kinds) : null;
  return entries.filter(
    (e) =>
      (!kinds || kinds.has(e.kind)) &&
      (filter.lane === null || e.lane === filter.lane) &&
      (filter.by === null || (e.actor ?? SYSTEM_ACTOR) === filter.by),
  );
}

/** Who did it, in words: "you", a colleague's email, "a former member", or Baton itself (the system). */
export const personLabel = (
  actorOrSystem: string,
  currentUserId: string,
  members: readonly OrganisationMember[],
): string =>
  actorOrSystem === SYSTEM_ACTOR
    ? 'Baton (automatic)'
    : (actorLabel(actorOrSystem, currentUserId, members) ?? 'a former member');

/** The people who appear in the activity, the signed-in user first, then Baton itself. */
export function activityPeople(
  entries: readonly ActivityEntry[],
  currentUserId: string,
  members: readonly OrganisationMember[],
): Array<{ id: string; label: string }> {
  const ids = [...new Set(entries.map((e) => e.actor ?? SYSTEM_ACTOR))];
  const rank = (id: string) => (id === currentUserId ? 0 : id === SYSTEM_ACTOR ? 2 : 1);
  return ids
    .map((id) => ({ id, label: personLabel(id, currentUserId, members) }))
    .sort((a, b) => rank(a.id) - rank(b.id) || a.label.localeCompare(b.label));
}
