import type { Membership } from '@/lib/auth/current-memberships';

/**
 * Whether to offer the system health page: the user is support or admin in some organisation. The page
 * and its API check again in the database.
 */
export const canSeeSystemHealth = (memberships: readonly Membership[]): boolean =>
  memberships.some((m) => m.role === 'support' || m.role === 'admin');
