'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { CheckIcon, CopyIcon, LinkIcon, PencilIcon, XIcon } from 'lucide-react';
import { useEffect, useId, useRef, useState } from 'react';
import { toast } from 'sonner';
import { Button } from '@/components/ui/button';
import { Input } from '@/components/ui/input';
import type { ExportJob } from '@/lib/exports/types';
import { errorMessage } from '@/lib/queries/api-fetch';
import { renameExportMutationOptions } from '@/lib/queries/export-mutations';

const copy = (text: string, what: string) =>
  navigator.clipboard.writeText(text).then(
    () => toast.success(`${what} copied`),
    () => toast.error(`Could not copy the ${what.toLowerCase()}`),
  );

/**
 * The export's name as the page heading, renamed in place (pencil → field → Save; Escape cancels), so
 * identical exports can be told apart. Focus goes back to the pencil when editing ends.
 */
export function ExportName({
  job,
  canRename,
}: {
  job: ExportJob;
  /** A viewer may not rename: no pencil (the page's role note says what a viewer can do). */
  canRename: boolean;
}) {
  const queryClient = useQueryClient();
  const rename = useMutation(renameExportMutationOptions(queryClient, job.id));
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(job.name);
  const [error, setError] = useState<string | null>(null);
  const pencil = useRef<HTMLButtonElement>(null);
  const inputId = useId();

  // Focus goes back to the pencil once it is on screen again (after the commit that shows it).
  const returnFocus = useRef(false);
  useEffect(() => {
    if (editing || !returnFocus.current) return;
    returnFocus.current = false;
    pencil.current?.focus();
  }, [editing]);

  const stop = () => {
    returnFocus.current = true;
    setEditing(false);
    setError(null);
  };
  const save = () => {
    const name = draft.trim();
    if (!name) return setError('Give the export a name.');
    if (name.length > 200) return setError('A name may be at most 200 characters.');
    if (name === job.name) return stop();
    rename.mutate(name, {
      onSuccess: () => {
        toast.success('Export renamed');
        stop();
      },
      onError: (e) => setError(errorMessage(e)),
    });
  };

  if (!editing) {
    return (
      <div className="flex min-w-0 items-center gap-1">
        <h1 className="min-w-0 text-2xl font-semibold break-words">{job.name}</h1>
        {canRename ? (
          <Button
            ref={pencil}
            variant="ghost"
            size="icon"
            aria-label="Rename export"
            title="Rename export"
            onClick={() => {
              setDraft(job.name);
              setEditing(true);
            }}
          >
            <PencilIcon aria-hidden />
          </Button>
        ) : null}
      </div>
    );
  }
  return (
    <form
      className="flex w-full max-w-xl flex-col gap-1"
      onSubmit={(e) => {
        e.preventDefault();
        save();
      }}
    >
      <label htmlFor={inputId} className="sr-only">
        Export name
      </label>
      <div className="flex items-center gap-1">
        <Input
          id={inputId}
          autoFocus
          value={draft}
          maxLength={200}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              e.preventDefault();
              stop();
            }
          }}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${inputId}-error` : undefined}
          className="h-10 text-lg font-semibold"
        />
        <Button type="submit" size="icon" aria-label="Save name" disabled={rename.isPending}>
          <CheckIcon aria-hidden />
        </Button>
        <Button type="button" variant="ghost" size="icon" aria-label="Cancel renaming" onClick={stop}>
          <XIcon aria-hidden />
        </Button>
      </div>
      {error ? (
        <p id={`${inputId}-error`} role="alert" className="text-sm text-red-700">
          {error}
        </p>
      ) : null}
    </form>
  );
}

/** A visible, copyable export id and link: what support asks for first. */
export function ExportIdentity({ job }: { job: ExportJob }) {
  return (
    <p className="flex flex-wrap items-center gap-x-2 gap-y-1 text-sm text-neutral-600">
      <span>
        Export id{' '}
        <code className="rounded bg-neutral-100 px-1 font-mono text-neutral-800" data-testid="export-id">
          {job.id}
        </code>
      </span>
      <Button variant="ghost" size="sm" onClick={() => void copy(job.id, 'Export id')}>
        <CopyIcon aria-hidden />
        Copy id
      </Button>
      <Button
        variant="ghost"
        size="sm"
        onClick={() => void copy(`${window.location.origin}/exports/${job.id}`, 'Link')}
      >
        <LinkIcon aria-hidden />
        Copy link
      </Button>
      {job.run_no > 1 ? <span>· run {job.run_no} (re-run)</span> : null}
    </p>
  );
}
