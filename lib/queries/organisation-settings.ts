import { mutationOptions, queryOptions, type QueryClient } from '@tanstack/react-query';
import type { OrganisationSettings } from '@/lib/retention/organisation-settings';
import type { StorageUse } from '@/lib/retention/organisation-storage-use';
import { apiFetch } from './api-fetch';
import { queryKeys } from './keys';

export type { OrganisationSettings, StorageUse };

export type OrganisationSettingsBody = { retentionDays: number; approvalThreshold: number | null };

/** The organisation's retention period and approval threshold. */
export const organisationSettingsQueryOptions = (organisationId: string, initialData: OrganisationSettings) =>
  queryOptions({
    queryKey: queryKeys.organisations.settings(organisationId),
    queryFn: () => apiFetch<OrganisationSettings>(`/api/organisations/${organisationId}/settings`),
    initialData,
  });

/** The organisation's storage use (admins); fresh on every visit of the settings page. */
export const storageUseQueryOptions = (organisationId: string, initialData: StorageUse) =>
  queryOptions({
    queryKey: queryKeys.organisations.storage(organisationId),
    queryFn: () => apiFetch<StorageUse>(`/api/organisations/${organisationId}/storage`),
    initialData,
  });

/**
 * Both settings travel together (one call, one row); each section of the page sends its own field with
 * the other as the cache has it, so two sections never undo each other's change.
 */
export const organisationSettingsMutationOptions = (queryClient: QueryClient, organisationId: string) =>
  mutationOptions({
    mutationFn: (body: Partial<OrganisationSettingsBody>) => {
      const current = queryClient.getQueryData<OrganisationSettings>(queryKeys.organisations.settings(organisationId));
      return apiFetch<OrganisationSettings>(`/api/organisations/${organisationId}/settings`, {
        method: 'PUT',
        json: {
          retentionDays: body.retentionDays ?? current?.retention_days,
          approvalThreshold:
            body.approvalThreshold !== undefined ? body.approvalThreshold : current?.approval_threshold,
        },
      });
    },
    onSuccess: (settings) => {
      queryClient.setQueryData(queryKeys.organisations.settings(organisationId), settings);
      // A new period moves every ended export's expiry.
      void queryClient.invalidateQueries({ queryKey: queryKeys.organisations.storage(organisationId) });
      void queryClient.invalidateQueries({ queryKey: queryKeys.exports.all });
    },
  });
