'use client';

import { ChevronDownIcon, DownloadIcon } from 'lucide-react';
import { Button } from '@/components/ui/button';
import { Popover, PopoverContent, PopoverTrigger } from '@/components/ui/popover';
import { downloadAvailability, downloadHref, formsOffered, formSize } from '@/lib/download/download-form';
import type { ExportJob } from '@/lib/exports/types';
import { FORM_TEXT } from '@/lib/view-model/download-form-text';
import { formatBytes, formatCount } from '@/lib/view-model/format';

/**
 * Plain links to the streaming route: the browser's own download manager shows the exact size and
 * resumes (Range). The plain file is one click; every form, each with its exact size, one click further.
 * A cancelled or failed export offers what it wrote, in every form.
 */
export function DownloadButton({ job }: { job: ExportJob }) {
  const format = job.format.toUpperCase();
  const { available, partial } = downloadAvailability(job);
  if (!available) {
    return (
      <Button
        disabled
        title={
          job.expired_at
            ? 'The files of this export expired and were removed; run it again for a fresh file'
            : 'The file can be downloaded once the export has completed'
        }
      >
        <DownloadIcon aria-hidden />
        Download {format}
      </Button>
    );
  }
  const forms = formsOffered(job);
  const plainSize = formSize(job, 'plain');
  const what = partial
    ? `Partial file: ${formatCount(job.rows_written)} records`
    : `${formatCount(job.rows_written)} records`;
  return (
    <div className="flex items-center">
      <Button asChild variant={partial ? 'outline' : 'default'} className={forms.length > 1 ? 'rounded-r-none' : ''}>
        <a
          href={downloadHref(job.id, { form: 'plain', partial })}
          download
          title={plainSize === null ? what : `${what}, ${formatCount(plainSize)} bytes`}
        >
          <DownloadIcon aria-hidden />
          Download {partial ? 'partial ' : ''}
          {format}
          {plainSize === null ? null : (
            <>
              <span className="font-normal opacity-80">· {formatBytes(plainSize)}</span>
              <span className="sr-only"> ({formatCount(plainSize)} bytes)</span>
            </>
          )}
        </a>
      </Button>
      {forms.length > 1 ? (
        <Popover>
          <PopoverTrigger asChild>
            <Button
              variant={partial ? 'outline' : 'default'}
              size="icon"
              className="rounded-l-none border-l border-l-white/30"
              aria-label="Download forms"
            >
              <ChevronDownIcon aria-hidden />
            </Button>
          </PopoverTrigger>
          <PopoverContent aria-label="Download forms">
            <ul className="divide-y divide-neutral-100 py-1">
              {forms.map((form) => {
                const size = formSize(job, form);
                return (
                  <li key={form}>
                    <a
                      href={downloadHref(job.id, { form, partial })}
                      download
                      className="flex flex-col gap-0.5 px-4 py-2 hover:bg-neutral-50 focus-visible:bg-neutral-50 focus-visible:outline-none"
                    >
                      <span className="flex items-center gap-2 text-sm font-medium">
                        <DownloadIcon aria-hidden className="size-4" />
                        <span>
                          {FORM_TEXT[form].name(format)}
                          {partial ? ' (partial)' : ''}
                        </span>{' '}
                        <span className="ml-auto font-normal text-neutral-700 tabular-nums">
                          {size === null ? 'header row only' : formatBytes(size, true)}
                        </span>
                      </span>{' '}
                      <span className="text-xs text-neutral-600">{FORM_TEXT[form].hint}</span>
                    </a>
                  </li>
                );
              })}
            </ul>
          </PopoverContent>
        </Popover>
      ) : null}
    </div>
  );
}
