import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';

/**
 * Whether the signed-in user may start, cancel, re-run and verify exports of the organisation — for
 * showing or hiding those actions. The database's own check decides (`assert_export_operator`), so the
 * dashboard and the API never disagree about a role.
 */
export async function canOperateExports(supabase: TypedSupabaseClient, organisationId: string): Promise<boolean> {
  const { error } = await supabase.rpc('assert_export_operator', { p_organisation_id: organisationId });
  if (!error) return true;
  if (error.code === '42501') return false;
  throw new Error(`Checking your role failed: ${error.message}`);
}
