import type { Membership } from '@/lib/auth/current-memberships';

/**
 * The organisation whose settings this user manages: the first where they are admin (null: none, and no
 * settings page to offer). The settings functions check the role again in the database.
 */
export const administeredOrganisation = (memberships: readonly Membership[]): string | null =>
  memberships.find((m) => m.role === 'admin')?.organisation_id ?? null;
