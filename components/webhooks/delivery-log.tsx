'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { createColumnHelper, flexRender, getCoreRowModel, useReactTable } from '@tanstack/react-table';
import { CircleCheckIcon, RotateCwIcon, XCircleIcon } from 'lucide-react';
import { useMemo } from 'react';
import { toast } from 'sonner';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { RelativeTime } from '@/components/ui/relative-time';
import { errorMessage } from '@/lib/queries/api-fetch';
import { webhookDeliveryLogQueryOptions, type WebhookLogEntry } from '@/lib/queries/webhook-delivery-log-query';
import { resendWebhookMutationOptions } from '@/lib/queries/webhook-mutations';
import { formatCount } from '@/lib/view-model/format';

const column = createColumnHelper<WebhookLogEntry>();

/** The endpoint's newest attempts: when, which event, the answer (status, latency, excerpt), send again. */
export function DeliveryLog({ endpointId, endpointEnabled }: { endpointId: string; endpointEnabled: boolean }) {
  const queryClient = useQueryClient();
  const log = useQuery(webhookDeliveryLogQueryOptions(endpointId));
  const { mutateAsync: resendDelivery, isPending: resending } = useMutation(resendWebhookMutationOptions(queryClient));
  const columns = useMemo(
    () => [
      column.accessor('started_at', {
        header: 'When',
        cell: (info) => <RelativeTime iso={info.getValue()} />,
      }),
      column.accessor('event_type', {
        header: 'Event',
        cell: (info) => (
          <span className="flex flex-col">
            <code>{info.getValue()}</code>
            <code className="text-xs text-neutral-600">{info.row.original.message_id}</code>
          </span>
        ),
      }),
      column.accessor('succeeded', {
        header: 'Result',
        cell: (info) => {
          const entry = info.row.original;
          const label = entry.response_status ? `HTTP ${entry.response_status}` : 'No answer';
          return info.getValue() ? (
            <Badge tone="done">
              <CircleCheckIcon aria-hidden />
              {label}
            </Badge>
          ) : (
            <Badge tone="failed">
              <XCircleIcon aria-hidden />
              {label}
            </Badge>
          );
        },
      }),
      column.accessor('attempt', { header: 'Attempt', cell: (info) => formatCount(info.getValue()) }),
      column.accessor('latency_ms', { header: 'Latency', cell: (info) => `${formatCount(info.getValue())} ms` }),
      column.display({
        id: 'response',
        header: 'Response',
        cell: (info) => {
          const entry = info.row.original;
          const text = entry.error ?? entry.response_excerpt ?? '';
          return <span className="line-clamp-2 max-w-xs font-mono text-xs break-all">{text || '—'}</span>;
        },
      }),
      column.display({
        id: 'actions',
        header: () => <span className="sr-only">Actions</span>,
        cell: (info) => {
          const entry = info.row.original;
          return (
            <Button
              variant="ghost"
              size="sm"
              disabled={!endpointEnabled || entry.delivery_status === 'pending' || resending}
              aria-label={`Send again: ${entry.event_type} ${entry.message_id}`}
              onClick={() =>
                toast.promise(resendDelivery(entry.delivery_id), {
                  loading: 'Queuing…',
                  success: 'Queued: it is sent again with the same webhook-id',
                  error: (error: unknown) => errorMessage(error),
                })
              }
            >
              <RotateCwIcon aria-hidden />
              Send again
            </Button>
          );
        },
      }),
    ],
    [endpointEnabled, resendDelivery, resending],
  );
  // The React Compiler is not enabled (next.config.ts); TanStack Table is used as documented.
  // eslint-disable-next-line react-hooks/incompatible-library
  const table = useReactTable({ data: log.data ?? [], columns, getCoreRowModel: getCoreRowModel() });

  if (log.isPending) return <p className="text-sm text-neutral-600">Loading deliveries…</p>;
  if (log.isError)
    return (
      <p role="alert" className="text-sm text-red-800">
        {errorMessage(log.error)}
      </p>
    );
  if (log.data.length === 0) return <p className="text-sm text-neutral-600">No deliveries yet.</p>;
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-left text-sm">
        <caption className="mb-2 text-left font-medium">
          Delivery log (newest {formatCount(log.data.length)} attempts)
        </caption>
        <thead className="border-b text-neutral-700">
          {table.getHeaderGroups().map((group) => (
            <tr key={group.id}>
              {group.headers.map((header) => (
                <th key={header.id} scope="col" className="px-2 py-1.5 font-medium">
                  {flexRender(header.column.columnDef.header, header.getContext())}
                </th>
              ))}
            </tr>
          ))}
        </thead>
        <tbody className="divide-y">
          {table.getRowModel().rows.map((row) => (
            <tr key={row.id}>
              {row.getVisibleCells().map((cell) => (
                <td key={cell.id} className="px-2 py-1.5 align-top">
                  {flexRender(cell.column.columnDef.cell, cell.getContext())}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
