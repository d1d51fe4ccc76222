'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { CheckIcon, HourglassIcon, XCircleIcon } from 'lucide-react';
import { toast } from 'sonner';
import { Button } from '@/components/ui/button';
import type { ExportJob } from '@/lib/exports/types';
import { errorMessage } from '@/lib/queries/api-fetch';
import { decideApprovalMutationOptions } from '@/lib/queries/export-mutations';
import { formatCount } from '@/lib/view-model/format';
import { DeclineDialog } from './decline-dialog';

/** Whether the export's approval is the thing to say about it: it waits for one, or was declined. */
export function approvalToShow(job: Pick<ExportJob, 'approval' | 'status' | 'cancel_requested_at'>): boolean {
  return (
    (job.approval === 'pending' && job.status === 'queued' && !job.cancel_requested_at) || job.approval === 'declined'
  );
}

/**
 * A large export waiting for an admin: everyone reads why it has not started; admins approve it (it
 * starts) or decline it with a reason. A declined one says who decided what, and why.
 */
export function ApprovalPanel({ job, isAdmin }: { job: ExportJob; isAdmin: boolean }) {
  const queryClient = useQueryClient();
  const decide = useMutation(decideApprovalMutationOptions(queryClient, job.id));
  if (job.approval === 'declined') {
    return (
      <div
        className="border-state-cancelled/40 bg-state-cancelled/5 flex items-start gap-2 rounded-md border px-4 py-3 text-sm"
        data-testid="approval-banner"
      >
        <XCircleIcon aria-hidden className="text-state-cancelled-ink mt-0.5 size-4 shrink-0" />
        <span>
          <strong>Declined by an admin.</strong> {job.approval_reason}
        </span>
      </div>
    );
  }
  return (
    <section
      aria-label="Approval"
      className="flex flex-wrap items-center justify-between gap-3 rounded-md border border-amber-300 bg-amber-50 px-4 py-3 text-sm text-amber-950"
      data-testid="approval-banner"
    >
      <span className="flex items-start gap-2">
        <HourglassIcon aria-hidden className="mt-0.5 size-4 shrink-0" />
        <span>
          <strong>Awaiting approval.</strong> About {formatCount(job.estimated_rows)} records: above the
          organisation&rsquo;s limit for exports that start on their own.{' '}
          {isAdmin
            ? 'Approve it to start it now, or decline it with a reason.'
            : 'An admin has been asked to approve it.'}
        </span>
      </span>
      {isAdmin ? (
        <span className="flex gap-2">
          <Button
            disabled={decide.isPending}
            onClick={() =>
              toast.promise(decide.mutateAsync({ decision: 'approve' }), {
                loading: 'Approving…',
                success: 'Approved: the export is starting.',
                error: (e: unknown) => `Could not approve it: ${errorMessage(e)}`,
              })
            }
          >
            <CheckIcon aria-hidden />
            Approve
          </Button>
          <DeclineDialog
            pending={decide.isPending}
            onDecline={(reason) =>
              toast.promise(decide.mutateAsync({ decision: 'decline', reason }), {
                loading: 'Declining…',
                success: 'Declined: the requester is told why.',
                error: (e: unknown) => `Could not decline it: ${errorMessage(e)}`,
              })
            }
          />
        </span>
      ) : null}
    </section>
  );
}
