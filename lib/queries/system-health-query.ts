import { queryOptions } from '@tanstack/react-query';
import type { SystemHealth } from '@/lib/system/system-health';
import { apiFetch } from './api-fetch';
import { queryKeys } from './keys';

/**
 * How often the health page reads again. Its figures are counts over many tables with no one row to
 * follow over Realtime; every 5 s keeps "last minute" figures current at one small query per viewer.
 */
export const SYSTEM_HEALTH_REFRESH_MS = 5_000;

export const systemHealthQueryOptions = () =>
  queryOptions({
    queryKey: queryKeys.system.health(),
    queryFn: ({ signal }) => apiFetch<SystemHealth>('/api/system/health', { signal }),
    refetchInterval: SYSTEM_HEALTH_REFRESH_MS,
  });
