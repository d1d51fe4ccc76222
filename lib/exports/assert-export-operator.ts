import { rpcError } from '@/lib/api/rpc-error';
import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';

/**
 * The caller may start, cancel, re-run and verify exports of the organisation (role member, support or
 * admin; a viewer sees and downloads only). The database decides (`assert_export_operator`) and words the
 * refusal; it becomes a 403. The state changes check again themselves: this is for refusing early, before
 * the work (Typesense queries, storage reads) a refusal would waste.
 */
export async function assertExportOperator(supabase: TypedSupabaseClient, organisationId: string): Promise<void> {
  const { error } = await supabase.rpc('assert_export_operator', { p_organisation_id: organisationId });
  if (error) throw rpcError(error, 'Checking your role');
}
