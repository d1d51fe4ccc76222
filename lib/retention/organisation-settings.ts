import { z } from 'zod';
import { AppError } from '@/lib/api/app-error';
import { rpcError } from '@/lib/api/rpc-error';
import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';

export const organisationSettingsInput = z
  .object({
    retentionDays: z
      .number({ error: 'retentionDays must be a whole number of days from 1 to 365' })
      .int({ error: 'retentionDays must be a whole number of days from 1 to 365' })
      .min(1, { error: 'Keep files for at least 1 day.' })
      .max(365, { error: 'Files can be kept for at most 365 days.' }),
    /** Records above which a new export waits for an admin; null: no approvals. */
    approvalThreshold: z
      .number({ error: 'approvalThreshold must be a whole number of records, or null for no approvals' })
      .int({ error: 'approvalThreshold must be a whole number of records, or null for no approvals' })
      .min(1, { error: 'The approval threshold must be at least 1 record (or empty for no approvals).' })
      .max(1_000_000_000_000, { error: 'The approval threshold can be at most 1,000,000,000,000 records.' })
      .nullable(),
  })
  .strict();

export type OrganisationSettings = {
  id: string;
  name: string;
  retention_days: number;
  approval_threshold: number | null;
};

/** An admin changes the retention period and the approval threshold; `update_organisation_settings` checks the role. */
export async function updateOrganisationSettings(
  userClient: TypedSupabaseClient,
  organisationId: string,
  input: z.infer<typeof organisationSettingsInput>,
): Promise<OrganisationSettings> {
  const { data, error } = await userClient
    .rpc('update_organisation_settings', {
      p_organisation_id: organisationId,
      p_retention_days: input.retentionDays,
      p_approval_threshold: input.approvalThreshold ?? undefined,
    })
    .single<OrganisationSettings>();
  if (error) throw rpcError(error, `Updating the settings of organisation ${organisationId}`);
  return data;
}

/** The organisation's settings as its members may read them (RLS); 404 for another organisation. */
export async function readOrganisationSettings(
  userClient: TypedSupabaseClient,
  organisationId: string,
): Promise<OrganisationSettings> {
  const { data, error } = await userClient
    .from('organisations')
    .select('id, name, retention_days, approval_threshold')
    .eq('id', organisationId)
    .maybeSingle();
  if (error) throw new Error(`Reading the settings of organisation ${organisationId} failed: ${error.message}`);
  if (!data) throw new AppError('not_found', `Organisation ${organisationId} was not found.`);
  return data;
}
