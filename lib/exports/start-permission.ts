import type { Membership } from '@/lib/auth/current-memberships';

/** Whether the signed-in user may start exports, and if not, the role that says why. */
export type StartPermission = { canStart: true } | { canStart: false; role: string | null };

/**
 * A user may start exports when some organisation of theirs lets them operate its exports. The database
 * decides for each (`assert_export_operator`, as the API does on every start), so the dashboard hides
 * "New export" exactly where the API would refuse it. `role` is theirs where they may not (null: no
 * organisation at all).
 */
export async function readStartPermission(
  memberships: readonly Membership[],
  canOperate: (organisationId: string) => Promise<boolean>,
): Promise<StartPermission> {
  for (const membership of memberships) {
    if (await canOperate(membership.organisation_id)) return { canStart: true };
  }
  return { canStart: false, role: memberships[0]?.role ?? null };
}
