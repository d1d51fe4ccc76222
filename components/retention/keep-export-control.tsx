'use client';

import { zodResolver } from '@hookform/resolvers/zod';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { addDays, addYears, endOfDay, format, parseISO } from 'date-fns';
import { PinIcon } from 'lucide-react';
import { useId, useState } from 'react';
import { useForm } from 'react-hook-form';
import { toast } from 'sonner';
import { z } from 'zod';
import { Button } from '@/components/ui/button';
import { Input } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { Popover, PopoverContent, PopoverTrigger } from '@/components/ui/popover';
import type { ExportJob } from '@/lib/exports/types';
import { errorMessage } from '@/lib/queries/api-fetch';
import { keepExportMutationOptions } from '@/lib/queries/export-mutations';

const keepSchema = z.object({
  until: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'Pick a date.' })
    .refine((d) => endOfDay(parseISO(d)).getTime() > Date.now(), { error: 'Pick a date after today.' })
    .refine((d) => endOfDay(parseISO(d)).getTime() <= addYears(Date.now(), 1).getTime(), {
      error: 'At most a year from today.',
    }),
});
type KeepValues = z.infer<typeof keepSchema>;

/**
 * An admin keeps an ended export's files until a date (to the end of that day, local time), or stops
 * keeping them: the export then expires with the organisation's retention period again.
 */
export function KeepExportControl({ job }: { job: ExportJob }) {
  const queryClient = useQueryClient();
  const keep = useMutation(keepExportMutationOptions(queryClient, job.id));
  const [open, setOpen] = useState(false);
  const id = useId();
  const suggested = format(addDays(job.expires_at ? new Date(job.expires_at) : new Date(), 30), 'yyyy-MM-dd');
  const form = useForm<KeepValues>({ resolver: zodResolver(keepSchema), values: { until: suggested } });
  const error = form.formState.errors.until?.message;
  const submit = (until: string | null) =>
    toast.promise(keep.mutateAsync(until), {
      loading: until ? 'Keeping the files…' : 'Stopping…',
      success: (j) =>
        j.kept_until
          ? `Kept until ${format(new Date(j.kept_until), 'd MMM yyyy')}.`
          : 'The organisation’s retention period applies again.',
      error: (e: unknown) => `Could not change it: ${errorMessage(e)}`,
    });
  return (
    <Popover open={open} onOpenChange={setOpen}>
      <PopoverTrigger asChild>
        <Button variant="ghost" size="sm">
          <PinIcon aria-hidden />
          {job.kept_until ? 'Change how long' : 'Keep longer'}
        </Button>
      </PopoverTrigger>
      <PopoverContent className="flex w-72 flex-col gap-3">
        <form
          className="flex flex-col gap-2"
          onSubmit={(event) =>
            void form.handleSubmit(({ until }) => {
              setOpen(false);
              void submit(endOfDay(parseISO(until)).toISOString());
            })(event)
          }
        >
          <Label htmlFor={`${id}-until`}>Keep the files until</Label>
          <Input
            id={`${id}-until`}
            type="date"
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? `${id}-error` : undefined}
            {...form.register('until')}
          />
          {error ? (
            <p id={`${id}-error`} className="text-sm text-red-700">
              {error}
            </p>
          ) : null}
          <Button type="submit" size="sm" disabled={keep.isPending}>
            Keep until this date
          </Button>
        </form>
        {job.kept_until ? (
          <Button
            variant="outline"
            size="sm"
            disabled={keep.isPending}
            onClick={() => {
              setOpen(false);
              void submit(null);
            }}
          >
            Stop keeping it
          </Button>
        ) : null}
      </PopoverContent>
    </Popover>
  );
}
