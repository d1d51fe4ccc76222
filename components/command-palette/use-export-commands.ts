'use client';

import { DownloadIcon, RotateCcwIcon, SquareIcon } from 'lucide-react';
import { downloadAvailability, downloadHref } from '@/lib/download/download-form';
import type { ExportJob } from '@/lib/exports/types';
import { isActive } from '@/lib/view-model/shard-states';
import { usePageCommands, type PageCommand } from './page-commands';

/**
 * Presses the export page's own button, so a command goes through the same confirmation (the cancel
 * dialog, the re-run preview) as a click, and focus comes back to that button when it closes. Found by
 * its visible name: the palette's e2e spec runs each of these commands, so a renamed button fails there.
 */
function pressPageButton(name: string) {
  const button = [...document.querySelectorAll<HTMLButtonElement>('main button')].find(
    (b) => b.textContent?.trim() === name,
  );
  button?.focus();
  button?.click();
}

/** Starts the download as the page's Download link does: the browser's download manager takes it. */
function download(job: ExportJob, partial: boolean) {
  const link = document.createElement('a');
  link.href = downloadHref(job.id, { form: 'plain', partial });
  link.download = '';
  link.click();
}

/**
 * The export page's commands in the palette: go to shard N, and cancel, retry or download where the
 * export's state allows it and the signed-in user's role does (a viewer only downloads), exactly as the
 * page's own buttons are shown.
 */
export function useExportCommands({
  job,
  canOperate,
  shardCount,
  goToShard,
}: {
  job: ExportJob;
  canOperate: boolean;
  shardCount: number;
  goToShard: (shardNo: number) => void;
}) {
  const active = isActive(job.status);
  const { available: downloadable, partial } = downloadAvailability(job);
  const format = job.format.toUpperCase();
  const commands: PageCommand[] = [];
  if (canOperate && active && !job.cancel_requested_at) {
    commands.push({
      id: 'cancel',
      label: 'Cancel export',
      icon: SquareIcon,
      keywords: ['stop'],
      run: () => pressPageButton('Cancel export'),
    });
  }
  if (canOperate && !active) {
    const label = job.status === 'completed' ? 'Verify & repair' : 'Retry missing';
    commands.push({
      id: 'retry',
      label,
      icon: RotateCcwIcon,
      keywords: ['retry', 're-run', 'rerun', 'repair'],
      run: () => pressPageButton(label),
    });
  }
  if (downloadable) {
    commands.push({
      id: 'download',
      label: `Download ${partial ? 'partial ' : ''}${format}`,
      icon: DownloadIcon,
      keywords: ['file', 'save'],
      run: () => download(job, partial),
    });
  }
  usePageCommands({
    heading: 'This export',
    commands,
    shards: shardCount > 0 ? { total: shardCount, goTo: goToShard } : undefined,
  });
}
