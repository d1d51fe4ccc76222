/**
 * Who started an export, as the dashboard says it. The API has no names (only a user id); a job whose
 * requester was deleted keeps its history with no user at all.
 */
export function requesterLabel(
  requestedBy: string | null,
  currentUserId: string,
): 'You' | 'A teammate' | 'A former member' {
  if (requestedBy === null) return 'A former member';
  return requestedBy === currentUserId ? 'You' : 'A teammate';
}
