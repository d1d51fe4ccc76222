'use client';

import { zodResolver } from '@hookform/resolvers/zod';
import { format, formatDistanceStrict } from 'date-fns';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ClipboardCopyIcon, Link2Icon, Loader2Icon } from 'lucide-react';
import { useId, useState } from 'react';
import { useForm } from 'react-hook-form';
import { toast } from 'sonner';
import { z } from 'zod';
import { Button } from '@/components/ui/button';
import {
  Dialog,
  DialogContent,
  DialogDescription,
  DialogHeader,
  DialogTitle,
  DialogTrigger,
} from '@/components/ui/dialog';
import { Input, Select, Textarea } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { downloadForms, formsOffered, type DownloadForm } from '@/lib/download/download-form';
import type { ExportJob } from '@/lib/exports/types';
import { errorMessage } from '@/lib/queries/api-fetch';
import {
  createShareLinkMutationOptions,
  revokeShareLinkMutationOptions,
  shareLinksQueryOptions,
  type CreatedShareLink,
} from '@/lib/queries/share-links-query';
import type { ShareLink } from '@/lib/share-links/types';
import { FORM_TEXT } from '@/lib/view-model/download-form-text';

/** "in 23 hours": when a link stops working (RelativeTime speaks of the past only). */
function ExpiresIn({ iso }: { iso: string }) {
  const [now] = useState(() => Date.now());
  const date = new Date(iso);
  return (
    <time dateTime={iso} title={format(date, 'PPpp')}>
      {formatDistanceStrict(date, now, { addSuffix: true, roundingMethod: 'floor' })}
    </time>
  );
}

/** The lifetimes offered: 1 hour to 7 days, 24 hours unless chosen otherwise. */
const LIFETIMES = [
  { hours: 1, label: '1 hour' },
  { hours: 6, label: '6 hours' },
  { hours: 24, label: '24 hours' },
  { hours: 72, label: '3 days' },
  { hours: 168, label: '7 days' },
] as const;

const shareSchema = z.object({
  expiresInHours: z.coerce.number().int().min(1).max(168),
  forms: z.array(z.enum(downloadForms)).min(1, { error: 'Offer at least one form of the file.' }),
  note: z.string().trim().max(500, { error: 'A note may be at most 500 characters.' }),
});
type ShareValues = z.input<typeof shareSchema>;

/**
 * "Share": a link for people without an account to this export's file. The form picks how long it
 * lives, which forms it offers and a note for colleagues; the link is shown once, with a copy button
 * (only its hash is kept). Below, every link of the export and whether it still works, each revocable.
 */
export function ShareDialog({ job }: { job: ExportJob }) {
  const [open, setOpen] = useState(false);
  const [created, setCreated] = useState<CreatedShareLink | null>(null);
  return (
    <Dialog
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        if (!next) setCreated(null);
      }}
    >
      <DialogTrigger asChild>
        <Button variant="outline">
          <Link2Icon aria-hidden />
          Share
        </Button>
      </DialogTrigger>
      <DialogContent className="max-w-xl">
        <DialogHeader>
          <DialogTitle>Share this file</DialogTitle>
          <DialogDescription>
            Anyone with the link can download the file, without an account, until it expires or you revoke it. They see
            the export’s name and the file’s size, nothing else.
          </DialogDescription>
        </DialogHeader>
        <div className="-mx-6 flex flex-col gap-6 overflow-y-auto px-6">
          {created ? <CreatedLink created={created} /> : <ShareForm job={job} onCreated={setCreated} />}
          <ShareLinkList jobId={job.id} />
        </div>
      </DialogContent>
    </Dialog>
  );
}

function ShareForm({ job, onCreated }: { job: ExportJob; onCreated: (created: CreatedShareLink) => void }) {
  const queryClient = useQueryClient();
  const create = useMutation(createShareLinkMutationOptions(queryClient, job.id));
  const offered = formsOffered(job);
  const ids = { expiry: useId(), note: useId(), forms: useId() };
  const { register, handleSubmit, formState } = useForm<ShareValues, unknown, z.output<typeof shareSchema>>({
    resolver: zodResolver(shareSchema),
    defaultValues: { expiresInHours: 24, forms: offered, note: '' },
  });
  const format = job.format.toUpperCase();
  const onSubmit = handleSubmit((values) =>
    create.mutate(
      { ...values, note: values.note || undefined },
      {
        onSuccess: onCreated,
        onError: (e) => toast.error(`Could not create the link: ${errorMessage(e)}`),
      },
    ),
  );
  return (
    <form onSubmit={(e) => void onSubmit(e)} noValidate className="flex flex-col gap-4">
      <div className="flex flex-col gap-1">
        <Label htmlFor={ids.expiry}>Works for</Label>
        <Select id={ids.expiry} {...register('expiresInHours')}>
          {LIFETIMES.map((l) => (
            <option key={l.hours} value={l.hours}>
              {l.label}
            </option>
          ))}
        </Select>
      </div>
      <fieldset className="flex flex-col gap-1" aria-describedby={formState.errors.forms ? ids.forms : undefined}>
        <legend className="mb-1 text-sm font-medium">Forms offered</legend>
        {offered.map((form: DownloadForm) => (
          <label key={form} className="flex items-center gap-2 text-sm">
            <input type="checkbox" value={form} {...register('forms')} className="size-4 accent-neutral-900" />
            {FORM_TEXT[form].name(format)}
          </label>
        ))}
        {formState.errors.forms ? (
          <p id={ids.forms} role="alert" className="text-sm text-red-700">
            {formState.errors.forms.message}
          </p>
        ) : null}
      </fieldset>
      <div className="flex flex-col gap-1">
        <Label htmlFor={ids.note}>Note (optional, for your colleagues)</Label>
        <Textarea id={ids.note} rows={2} placeholder="For Acme’s migration team" {...register('note')} />
        {formState.errors.note ? (
          <p role="alert" className="text-sm text-red-700">
            {formState.errors.note.message}
          </p>
        ) : null}
      </div>
      <Button type="submit" disabled={create.isPending} className="w-fit">
        {create.isPending ? (
          <Loader2Icon aria-hidden className="motion-safe:animate-spin" />
        ) : (
          <Link2Icon aria-hidden />
        )}
        Create link
      </Button>
    </form>
  );
}

function CreatedLink({ created }: { created: CreatedShareLink }) {
  const url = `${window.location.origin}${created.path}`;
  const inputId = useId();
  return (
    <div className="flex flex-col gap-2 rounded-md border border-neutral-200 bg-neutral-50 p-4">
      <Label htmlFor={inputId}>Share link</Label>
      <div className="flex gap-2">
        <Input id={inputId} readOnly value={url} onFocus={(e) => e.currentTarget.select()} className="font-mono" />
        <Button
          type="button"
          onClick={() =>
            void navigator.clipboard.writeText(url).then(
              () => toast.success('Link copied'),
              () => toast.error('Could not copy the link: select it and copy it by hand'),
            )
          }
        >
          <ClipboardCopyIcon aria-hidden />
          Copy link
        </Button>
      </div>
      <p className="text-sm text-neutral-700">
        Copy it now: it is shown only once. It expires <ExpiresIn iso={created.link.expires_at} />
        {'.'}
      </p>
    </div>
  );
}

function linkState(link: ShareLink, now: number): 'active' | 'revoked' | 'expired' {
  if (link.revoked_at) return 'revoked';
  return Date.parse(link.expires_at) <= now ? 'expired' : 'active';
}

function ShareLinkList({ jobId }: { jobId: string }) {
  const queryClient = useQueryClient();
  const links = useQuery(shareLinksQueryOptions(jobId));
  const revoke = useMutation(revokeShareLinkMutationOptions(queryClient, jobId));
  const [now] = useState(() => Date.now());
  if (links.isPending) return <p className="text-sm text-neutral-600">Loading links…</p>;
  if (links.isError) {
    return (
      <p role="alert" className="text-sm text-red-700">
        The links could not be loaded: {links.error.message}
      </p>
    );
  }
  if (links.data.length === 0) return <p className="text-sm text-neutral-600">No links to this file yet.</p>;
  return (
    <section aria-label="Links to this file" className="flex flex-col gap-2">
      <h3 className="text-sm font-medium">Links to this file</h3>
      <ul className="divide-y divide-neutral-200 rounded-md border border-neutral-200">
        {links.data.map((link) => {
          const state = linkState(link, now);
          return (
            <li key={link.id} className="flex flex-wrap items-center gap-x-3 gap-y-1 px-3 py-2 text-sm">
              <span className="min-w-0 flex-1">
                <span className="font-medium">{link.note ?? 'No note'}</span>
                <span className="block text-neutral-600">
                  {link.forms.join(', ')} ·{' '}
                  {state === 'active' ? (
                    <>
                      expires <ExpiresIn iso={link.expires_at} />
                    </>
                  ) : state === 'revoked' ? (
                    'revoked'
                  ) : (
                    'expired'
                  )}
                </span>
              </span>
              {state === 'active' ? (
                <Button
                  size="sm"
                  variant="outline"
                  disabled={revoke.isPending}
                  onClick={() =>
                    revoke.mutate(link.id, {
                      onSuccess: () => toast.success('Link revoked: it no longer works'),
                      onError: (e) => toast.error(`Could not revoke the link: ${errorMessage(e)}`),
                    })
                  }
                >
                  Revoke
                  <span className="sr-only"> the link {link.note ? `“${link.note}”` : 'without a note'}</span>
                </Button>
              ) : null}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
