import type { DownloadForm } from '@/lib/download/download-form';

/** What each form is called and what it is for, wherever a person picks one (download button, share link). */
export const FORM_TEXT: Record<DownloadForm, { name: (format: string) => string; hint: string }> = {
  plain: {
    name: (format) => format,
    hint: 'UTF-8 without a byte-order mark: for scripts, databases, Google Sheets and Numbers.',
  },
  excel: {
    name: () => 'CSV for Excel',
    hint: 'UTF-8 with a byte-order mark, so Excel shows accents, Japanese, Arabic and emoji as they are.',
  },
  gzip: {
    name: (format) => `${format}, gzip`,
    hint: 'The same file compressed (.gz): a fraction of the size, resumable; gunzip or any archive tool opens it.',
  },
};
