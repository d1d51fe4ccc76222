/**
 * How many lanes an export runs in parallel. One lane per ~25,000 records, at most 8 (a lane is a chain
 * of invocations: 8 of them on a 5,000,000-record export are 8 × ~600 hand-offs an hour, well inside
 * the platform's 5,000 worker-to-worker calls a minute), and never a lane smaller than a page. Shared by
 * the API (which splits the job) and the new-export form (which shows the automatic choice).
 */
export const RECORDS_PER_LANE = 25_000;
export const MAX_LANES = 8;

export function laneCount(estimate: number, pageSize: number, requested?: number): number {
  const wanted = requested ?? Math.ceil(estimate / RECORDS_PER_LANE);
  return Math.max(1, Math.min(wanted, MAX_LANES, Math.ceil(estimate / pageSize)));
}
