'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Loader2Icon, RepeatIcon, RotateCcwIcon, SquareIcon } from 'lucide-react';
import { useRouter } from 'next/navigation';
import { useEffect, useRef, useState } from 'react';
import { toast } from 'sonner';
import {
  AlertDialog,
  AlertDialogAction,
  AlertDialogCancel,
  AlertDialogContent,
  AlertDialogDescription,
  AlertDialogFooter,
  AlertDialogHeader,
  AlertDialogTitle,
  AlertDialogTrigger,
} from '@/components/ui/alert-dialog';
import { Button } from '@/components/ui/button';
import { downloadAvailability } from '@/lib/download/download-form';
import type { ExportJob } from '@/lib/exports/types';
import { errorMessage } from '@/lib/queries/api-fetch';
import { cn } from '@/lib/utils';
import { cancelExportMutationOptions, startExportMutationOptions } from '@/lib/queries/export-mutations';
import { formatCount } from '@/lib/view-model/format';
import { isActive } from '@/lib/view-model/shard-states';
import { DownloadButton } from './download-button';
import { ShareDialog } from './share-dialog';
import { RetryDialog } from './retry-dialog';

/** Cancel, retry missing, download: what a job's state allows, nothing it does not. */
export function ExportActions({ job, canOperate }: { job: ExportJob; canOperate: boolean }) {
  const active = isActive(job.status);
  const cancelling = active && Boolean(job.cancel_requested_at);
  const actions = useRef<HTMLDivElement>(null);
  // The actions swap when the job starts or stops: a queued re-run swaps "Retry missing" (its dialog still
  // open) for "Cancel export", a finished cancel swaps "Cancelling…" for "Retry missing". Focus on a button
  // that goes would fall back to the page; when the user was on the actions, it moves to the first one.
  const focusFollowsSwap = useRef(false);
  const committedActive = useRef(active);
  const focusFirstAction = () => {
    focusFollowsSwap.current = false;
    if (document.activeElement === document.body || document.activeElement === null) {
      actions.current?.querySelector<HTMLButtonElement>('button')?.focus();
    }
  };
  useEffect(() => {
    if (committedActive.current === active) return;
    committedActive.current = active;
    if (focusFollowsSwap.current) focusFirstAction();
  });
  // The re-run dialog closes on its own terms (its focus scope hands focus back as it unmounts), so a queued
  // re-run says so; its answer and the swap it causes render in either order.
  const onRerunQueued = () => {
    focusFollowsSwap.current = true;
    if (committedActive.current) focusFirstAction();
  };
  if (!canOperate) {
    return (
      <div className="flex flex-wrap items-center gap-2">
        <p className="text-sm text-neutral-600">
          Your role is viewer: you can watch and download; a member can rename, cancel, re-run or run it again.
        </p>
        <DownloadButton job={job} />
      </div>
    );
  }
  return (
    <div
      ref={actions}
      className="flex flex-wrap items-center gap-2"
      onFocus={() => {
        focusFollowsSwap.current = true;
      }}
      onBlur={(event) => {
        if (event.relatedTarget) {
          if (!event.currentTarget.contains(event.relatedTarget)) focusFollowsSwap.current = false;
          return;
        }
        // Focus went nowhere: a click on the page leaves the actions (the button is still there); a button
        // removed by the swap does not.
        const left = event.target;
        queueMicrotask(() => {
          if (left.isConnected) focusFollowsSwap.current = false;
        });
      }}
    >
      {active ? <CancelButton job={job} cancelling={cancelling} /> : null}
      {/* A declined export is not re-run (that would skip the approval), an expired one has no files to repair:
          "Run again" starts a new export for both. */}
      {!active && job.approval !== 'declined' && !job.expired_at ? (
        <RetryDialog
          jobId={job.id}
          title="Retry what is missing"
          onDone={onRerunQueued}
          trigger={
            <Button variant={job.status === 'completed' ? 'outline' : 'default'}>
              <RotateCcwIcon aria-hidden />
              {job.status === 'completed' ? 'Verify & repair' : 'Retry missing'}
            </Button>
          }
        />
      ) : null}
      <DownloadButton job={job} />
      {downloadAvailability(job).available ? <ShareDialog job={job} /> : null}
      {!active ? <RunAgainButton job={job} /> : null}
    </div>
  );
}

function CancelButton({ job, cancelling }: { job: ExportJob; cancelling: boolean }) {
  const queryClient = useQueryClient();
  const cancel = useMutation(cancelExportMutationOptions(queryClient, job.id));
  const [open, setOpen] = useState(false);
  const stopping = cancelling || cancel.isPending;
  // One button throughout, so focus stays on it when the cancel is confirmed (the dialog hands focus back
  // to its trigger) or requested elsewhere: while stopping it reads "Cancelling…" and opens nothing
  // (aria-disabled, not disabled, which would drop the focus).
  return (
    <AlertDialog open={open && !stopping} onOpenChange={setOpen}>
      <AlertDialogTrigger asChild>
        <Button
          variant="outline"
          aria-disabled={stopping || undefined}
          className={cn(stopping && 'cursor-default opacity-50 hover:bg-white')}
          onClick={(event) => {
            if (stopping) event.preventDefault();
          }}
        >
          {stopping ? <Loader2Icon aria-hidden className="motion-safe:animate-spin" /> : <SquareIcon aria-hidden />}
          {stopping ? 'Cancelling…' : 'Cancel export'}
        </Button>
      </AlertDialogTrigger>
      <AlertDialogContent>
        <AlertDialogHeader>
          <AlertDialogTitle>Cancel this export?</AlertDialogTitle>
          <AlertDialogDescription>
            The worker stops after the shard it is writing. The {formatCount(job.shards_written)} shards already written
            ({formatCount(job.rows_written)} records) stay available as a partial download, and you can resume the rest
            later with “Retry missing”.
          </AlertDialogDescription>
        </AlertDialogHeader>
        <AlertDialogFooter>
          <AlertDialogCancel>Keep running</AlertDialogCancel>
          <AlertDialogAction
            variant="destructive"
            onClick={() => {
              toast.promise(cancel.mutateAsync(), {
                loading: 'Asking the worker to stop…',
                success: (j) =>
                  j.status === 'cancelled'
                    ? 'Export cancelled.'
                    : 'Cancelling: the worker stops after its current shard.',
                error: (e: unknown) => `Cancel failed: ${errorMessage(e)}`,
              });
            }}
          >
            Cancel export
          </AlertDialogAction>
        </AlertDialogFooter>
      </AlertDialogContent>
    </AlertDialog>
  );
}

/** "Run again with the same settings": a new export of the same source, format, columns, filter and lanes. */
function RunAgainButton({ job }: { job: ExportJob }) {
  const queryClient = useQueryClient();
  const router = useRouter();
  const start = useMutation(startExportMutationOptions(queryClient));
  return (
    <Button
      variant="outline"
      disabled={start.isPending}
      onClick={() =>
        start.mutate(
          {
            sourceId: job.source_id,
            format: job.format,
            fields: job.fields,
            filter: job.filter,
            lanes: job.lane_count,
            neutraliseFormulas: job.neutralise_formulas,
          },
          {
            onSuccess: (created) => {
              toast.success('Started a new export with the same settings');
              router.push(`/exports/${created.id}`);
            },
            onError: (e) => toast.error(`Could not start it again: ${errorMessage(e)}`),
          },
        )
      }
    >
      {start.isPending ? <Loader2Icon aria-hidden className="motion-safe:animate-spin" /> : <RepeatIcon aria-hidden />}
      Run again
      <span className="sr-only"> with the same settings</span>
    </Button>
  );
}
