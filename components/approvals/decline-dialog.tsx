'use client';

import { zodResolver } from '@hookform/resolvers/zod';
import { XIcon } from 'lucide-react';
import { useId, useState } from 'react';
import { useForm } from 'react-hook-form';
import { z } from 'zod';
import { Button } from '@/components/ui/button';
import {
  Dialog,
  DialogClose,
  DialogContent,
  DialogDescription,
  DialogHeader,
  DialogTitle,
  DialogTrigger,
} from '@/components/ui/dialog';
import { Textarea } from '@/components/ui/input';
import { Label } from '@/components/ui/label';

const declineSchema = z.object({
  reason: z
    .string()
    .trim()
    .min(1, { error: 'Say why: the person who started the export reads it.' })
    .max(500, { error: 'At most 500 characters.' }),
});
type DeclineValues = z.infer<typeof declineSchema>;

/** Declining needs a reason (the requester's notification carries it): asked for in a dialog. */
export function DeclineDialog({ onDecline, pending }: { onDecline: (reason: string) => void; pending: boolean }) {
  const [open, setOpen] = useState(false);
  const id = useId();
  const form = useForm<DeclineValues>({ resolver: zodResolver(declineSchema), defaultValues: { reason: '' } });
  const error = form.formState.errors.reason?.message;
  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>
        <Button variant="outline" disabled={pending}>
          <XIcon aria-hidden />
          Decline
        </Button>
      </DialogTrigger>
      <DialogContent>
        <DialogHeader>
          <DialogTitle>Decline this export?</DialogTitle>
          <DialogDescription>It ends without running; the person who started it is told your reason.</DialogDescription>
        </DialogHeader>
        <form
          className="flex flex-col gap-3"
          onSubmit={(event) =>
            void form.handleSubmit(({ reason }) => {
              onDecline(reason);
              setOpen(false);
            })(event)
          }
        >
          <Label htmlFor={`${id}-reason`}>Reason</Label>
          <Textarea
            id={`${id}-reason`}
            rows={3}
            className="font-sans"
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? `${id}-error` : undefined}
            {...form.register('reason')}
          />
          {error ? (
            <p id={`${id}-error`} className="text-sm text-red-700">
              {error}
            </p>
          ) : null}
          <div className="flex justify-end gap-2">
            <DialogClose asChild>
              <Button type="button" variant="ghost">
                Keep waiting
              </Button>
            </DialogClose>
            <Button type="submit" variant="destructive">
              Decline export
            </Button>
          </div>
        </form>
      </DialogContent>
    </Dialog>
  );
}
