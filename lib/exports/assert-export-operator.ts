import { rpcError } from '@/lib/api/rpc-error';
import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';

/**
 * Who may start, rename, cancel, re-run and verify exports of an organisation (role member, support or
 * admin, alike; a viewer sees and downloads only). The database decides (`assert_export_operator`) and
 * words the refusal, so the API and the dashboard never disagree about a role.
 */
async function operatorCheck(supabase: TypedSupabaseClient, organisationId: string) {
  const { error } = await supabase.rpc('assert_export_operator', { p_organisation_id: organisationId });
  return error;
}

/**
 * Refuses early (a 403) before the work a refusal would waste (Typesense queries, storage reads); the state
 * changes check again themselves.
 */
export async function assertExportOperator(supabase: TypedSupabaseClient, organisationId: string): Promise<void> {
  const error = await operatorCheck(supabase, organisationId);
  if (error) throw rpcError(error, 'Checking your role');
}

/** Whether to show those actions at all. */
export async function canOperateExports(supabase: TypedSupabaseClient, organisationId: string): Promise<boolean> {
  const error = await operatorCheck(supabase, organisationId);
  if (!error) return true;
  if (error.code === '42501') return false;
  throw new Error(`Checking your role failed: ${error.message}`);
}
