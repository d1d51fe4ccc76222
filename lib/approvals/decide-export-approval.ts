import { z } from 'zod';
import { rpcError } from '@/lib/api/rpc-error';
import { withoutNul } from '@/lib/api/text-without-nul';
import { kickExportLanes } from '@/lib/exports/kick-export-worker';
import type { ExportJob } from '@/lib/exports/types';
import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';

export const decideExportApprovalInput = z.discriminatedUnion(
  'decision',
  [
    z.object({ decision: z.literal('approve') }).strict(),
    z
      .object({
        decision: z.literal('decline'),
        reason: withoutNul(
          z
            .string({ error: 'reason must be text' })
            .trim()
            .min(1, { error: 'Give a reason for declining: the person who started the export reads it.' })
            .max(500, { error: 'A reason may be at most 500 characters.' }),
          'The reason',
        ),
      })
      .strict(),
  ],
  { error: 'decision must be "approve" or "decline" (with a reason)' },
);

/**
 * An admin approves an export that waits for approval (its lanes are started at once) or declines it
 * with a reason (it ends cancelled; the requester is told why). `decide_export_approval` checks the role
 * and records the decision in the activity, through the caller's own client.
 */
export async function decideExportApproval(
  deps: { user: { supabase: TypedSupabaseClient }; admin: TypedSupabaseClient },
  jobId: string,
  input: z.infer<typeof decideExportApprovalInput>,
): Promise<ExportJob> {
  const { data: job, error } = await deps.user.supabase
    .rpc('decide_export_approval', {
      p_job_id: jobId,
      p_approve: input.decision === 'approve',
      p_reason: input.decision === 'decline' ? input.reason : undefined,
    })
    .single<ExportJob>();
  if (error) throw rpcError(error, `Deciding on export ${jobId}`);
  if (input.decision === 'approve') {
    await kickExportLanes(
      deps.admin,
      job.id,
      job.lanes.map((lane) => lane.lane),
    );
  }
  return job;
}
