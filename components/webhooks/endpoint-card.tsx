'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { CircleCheckIcon, PauseIcon, PlayIcon, Trash2Icon, UnplugIcon } from 'lucide-react';
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
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { RelativeTime } from '@/components/ui/relative-time';
import { errorMessage } from '@/lib/queries/api-fetch';
import { deleteWebhookMutationOptions, setWebhookEnabledMutationOptions } from '@/lib/queries/webhook-mutations';
import type { WebhookEndpoint } from '@/lib/webhooks/types';
import { DeliveryLog } from './delivery-log';

/** One endpoint: where, which events, whether it receives them, its log, and enable/pause/delete. */
export function EndpointCard({ endpoint }: { endpoint: WebhookEndpoint }) {
  const queryClient = useQueryClient();
  const setEnabled = useMutation(setWebhookEnabledMutationOptions(queryClient, endpoint.id));
  const remove = useMutation(deleteWebhookMutationOptions(queryClient, endpoint.id));
  const headingId = `endpoint-${endpoint.id}`;
  const toggle = () =>
    toast.promise(setEnabled.mutateAsync(!endpoint.enabled), {
      loading: endpoint.enabled ? 'Pausing…' : 'Enabling…',
      success: endpoint.enabled ? 'Endpoint paused' : 'Endpoint enabled: new events are delivered again',
      error: (error: unknown) => errorMessage(error),
    });

  return (
    <article aria-labelledby={headingId} className="flex flex-col gap-3 rounded-lg border p-4">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="flex min-w-0 flex-col gap-1">
          <h3 id={headingId} className="font-mono text-sm font-medium break-all">
            {endpoint.url}
          </h3>
          <p className="text-sm text-neutral-700">
            {endpoint.events.map((event) => (
              <code key={event} className="mr-2">
                {event}
              </code>
            ))}
          </p>
        </div>
        {endpoint.enabled ? (
          <Badge tone="done">
            <CircleCheckIcon aria-hidden />
            Enabled
          </Badge>
        ) : (
          <Badge tone="failed">
            <UnplugIcon aria-hidden />
            Disabled
          </Badge>
        )}
      </div>
      {!endpoint.enabled && endpoint.disabled_at ? (
        <p className="text-sm text-neutral-700">
          Disabled <RelativeTime iso={endpoint.disabled_at} />. {endpoint.disabled_reason}
        </p>
      ) : endpoint.failing_since ? (
        <p className="text-sm text-amber-800">
          Failing since <RelativeTime iso={endpoint.failing_since} />: it is disabled after 3 days without a success.
        </p>
      ) : null}
      <div className="flex flex-wrap gap-2">
        <Button variant="outline" size="sm" onClick={toggle} disabled={setEnabled.isPending}>
          {endpoint.enabled ? <PauseIcon aria-hidden /> : <PlayIcon aria-hidden />}
          {endpoint.enabled ? 'Pause' : 'Enable again'}
        </Button>
        <AlertDialog>
          <AlertDialogTrigger asChild>
            <Button variant="outline" size="sm">
              <Trash2Icon aria-hidden />
              Delete
            </Button>
          </AlertDialogTrigger>
          <AlertDialogContent>
            <AlertDialogHeader>
              <AlertDialogTitle>Delete this endpoint?</AlertDialogTitle>
              <AlertDialogDescription>
                {endpoint.url} receives no more events, and its delivery log is deleted with it. Events not yet
                delivered are dropped.
              </AlertDialogDescription>
            </AlertDialogHeader>
            <AlertDialogFooter>
              <AlertDialogCancel>Keep it</AlertDialogCancel>
              <AlertDialogAction
                onClick={() =>
                  toast.promise(remove.mutateAsync(), {
                    loading: 'Deleting…',
                    success: 'Endpoint deleted',
                    error: (error: unknown) => errorMessage(error),
                  })
                }
              >
                Delete endpoint
              </AlertDialogAction>
            </AlertDialogFooter>
          </AlertDialogContent>
        </AlertDialog>
      </div>
      <DeliveryLog endpointId={endpoint.id} endpointEnabled={endpoint.enabled} />
    </article>
  );
}
