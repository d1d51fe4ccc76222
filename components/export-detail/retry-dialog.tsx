'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Loader2Icon } from 'lucide-react';
import { useState, type ReactNode } from 'react';
import { toast } from 'sonner';
import {
  AlertDialog,
  AlertDialogCancel,
  AlertDialogContent,
  AlertDialogDescription,
  AlertDialogFooter,
  AlertDialogHeader,
  AlertDialogTitle,
  AlertDialogTrigger,
} from '@/components/ui/alert-dialog';
import { Button } from '@/components/ui/button';
import { errorMessage } from '@/lib/queries/api-fetch';
import { retryExportMutationOptions, type RetryPlan } from '@/lib/queries/export-mutations';
import { formatCount } from '@/lib/view-model/format';
import { describePlan, describePlanBriefly } from '@/lib/view-model/retry-plan-text';

/** Plan rows shown in the preview; the rest is summarised (a re-run can cover thousands of shards). */
const PREVIEW_ROWS = 12;

/**
 * Retry with a preview: opening the dialog asks the API for the plan (`dryRun`), the dialog shows what
 * will be re-run (shards, records, the unwritten tail), and only "Re-run" queues it. With `shardNos`
 * it re-runs those shards (support's "re-run selected"); without, only what is missing or damaged.
 */
export function RetryDialog({
  jobId,
  shardNos,
  title,
  trigger,
  onDone,
}: {
  jobId: string;
  shardNos?: number[];
  title: string;
  trigger: ReactNode;
  onDone?: () => void;
}) {
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  // Two previews: one without the storage check answers at once (what is failed or never written), the
  // checked one follows and replaces it (it reads every object's size: seconds on a large export).
  const quick = useMutation(retryExportMutationOptions(queryClient, jobId));
  const preview = useMutation(retryExportMutationOptions(queryClient, jobId));
  const run = useMutation(retryExportMutationOptions(queryClient, jobId));
  const body = { shardNos: shardNos ?? [], verify: 'size' as const };

  const onOpenChange = (next: boolean) => {
    setOpen(next);
    if (next) {
      quick.mutate({ ...body, verify: 'none', dryRun: true });
      preview.mutate({ ...body, dryRun: true });
    } else {
      quick.reset();
      preview.reset();
    }
  };

  const confirm = () => {
    const promise = run.mutateAsync({ ...body, dryRun: false });
    toast.promise(promise, {
      loading: 'Queuing the re-run…',
      success: ({ plan }) => `Re-run queued: ${describePlanBriefly(plan)}.`,
      error: (e: unknown) => `The re-run could not be queued: ${errorMessage(e)}`,
    });
    promise.then(
      () => {
        setOpen(false);
        onDone?.();
      },
      () => undefined,
    );
  };

  const plan = preview.data?.plan;
  return (
    <AlertDialog open={open} onOpenChange={onOpenChange}>
      <AlertDialogTrigger asChild>{trigger}</AlertDialogTrigger>
      <AlertDialogContent>
        <AlertDialogHeader>
          <AlertDialogTitle>{title}</AlertDialogTitle>
          <AlertDialogDescription>
            Each re-run reads exactly its shard&apos;s key range, so the finished file is the same as a single-pass
            export.
          </AlertDialogDescription>
        </AlertDialogHeader>
        <div aria-live="polite" className="text-sm">
          {preview.isError ? (
            <p role="alert" className="text-red-700">
              {errorMessage(preview.error)}
            </p>
          ) : plan ? (
            <PlanPreview plan={plan} />
          ) : quick.data ? (
            <div className="flex flex-col gap-2">
              <PlanPreview plan={quick.data.plan} />
              <p className="inline-flex items-center gap-2 text-neutral-600">
                <Loader2Icon aria-hidden className="size-4 motion-safe:animate-spin" />
                Checking storage for damaged shards too…
              </p>
            </div>
          ) : (
            <p className="inline-flex items-center gap-2 text-neutral-600">
              <Loader2Icon aria-hidden className="size-4 motion-safe:animate-spin" />
              Working out what to re-run…
            </p>
          )}
        </div>
        <AlertDialogFooter>
          <AlertDialogCancel>Close</AlertDialogCancel>
          {/* Not an AlertDialogAction: it would close the dialog before the request is accepted. */}
          <Button onClick={confirm} disabled={!plan || run.isPending}>
            {run.isPending ? <Loader2Icon aria-hidden className="motion-safe:animate-spin" /> : null}
            Re-run {plan ? describePlanBriefly(plan) : ''}
          </Button>
        </AlertDialogFooter>
      </AlertDialogContent>
    </AlertDialog>
  );
}

function PlanPreview({ plan }: { plan: RetryPlan }) {
  return (
    <div className="flex flex-col gap-3">
      <p>
        This will re-run <strong>{describePlan(plan)}</strong>.
      </p>
      {plan.shards.length > 0 ? (
        <table className="w-full text-left text-xs">
          <caption className="sr-only">Shards to re-run</caption>
          <thead className="text-neutral-600">
            <tr>
              <th scope="col" className="py-1 font-medium">
                Shard
              </th>
              <th scope="col" className="py-1 font-medium">
                Records
              </th>
              <th scope="col" className="py-1 font-medium">
                Why
              </th>
            </tr>
          </thead>
          <tbody className="divide-y divide-neutral-100">
            {plan.shards.slice(0, PREVIEW_ROWS).map((s) => (
              <tr key={s.shardNo}>
                <td className="py-1 tabular-nums">{formatCount(s.shardNo)}</td>
                <td className="py-1 tabular-nums">{formatCount(s.rows)}</td>
                <td className="py-1">{s.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {plan.shards.length > PREVIEW_ROWS ? (
        <p className="text-xs text-neutral-600">and {formatCount(plan.shards.length - PREVIEW_ROWS)} more shards.</p>
      ) : null}
    </div>
  );
}
