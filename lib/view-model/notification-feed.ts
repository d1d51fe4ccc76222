import type { Notification } from '@/lib/exports/types';
import { plainErrorSentence } from './plain-error';

export type NotificationText = {
  /** What the outcome means, in one plain sentence that names the export by its short id. */
  sentence: string;
  /** The raw text behind it, for the folded details; null when the sentence is all there is. */
  detail: string | null;
};

/**
 * A notification in words: a failure says what went wrong from its error kind (the words the banner
 * uses), its raw error kept as the detail; the other outcomes' bodies are already plain ("20,000 rows in
 * 80 shards (CSV). Export 0b5e1c2d.").
 */
export function notificationText(n: Pick<Notification, 'kind' | 'body' | 'error_kind' | 'job_id'>): NotificationText {
  if (n.kind !== 'export_failed') return { sentence: n.body, detail: null };
  return { sentence: `${plainErrorSentence(n.error_kind)}. Export ${(n.job_id ?? '').slice(0, 8)}.`, detail: n.body };
}

export type NotificationGroup = {
  /** What the entries are about: an export, or a webhook endpoint (`webhook:<id>`). */
  key: string;
  jobId: string | null;
  /** Where the entry leads: the export's page, or the webhooks settings. */
  href: string;
  /** The export's newest outcome: what its entry shows. */
  latest: Notification;
  /** Its earlier outcomes (earlier runs), newest first. */
  earlier: Notification[];
  /** Ids of its notifications not read yet. */
  unreadIds: string[];
};

const newestFirst = (a: Notification, b: Notification) =>
  b.created_at.localeCompare(a.created_at) || b.run_no - a.run_no;

/**
 * One entry per export, the export with the newest outcome first. `isRead` decides what counts as read
 * (the bell also counts a notification whose read is on its way to the database).
 */
export function groupNotificationsByExport(
  list: readonly Notification[],
  isRead: (n: Notification) => boolean = (n) => n.read_at !== null,
): NotificationGroup[] {
  const byJob = new Map<string, Notification[]>();
  const subject = (n: Notification) => n.job_id ?? `webhook:${n.webhook_endpoint_id}`;
  for (const n of list) byJob.set(subject(n), [...(byJob.get(subject(n)) ?? []), n]);
  return [...byJob.entries()]
    .map(([key, items]) => {
      const [latest, ...earlier] = items.sort(newestFirst);
      return {
        key,
        jobId: latest!.job_id,
        href: notificationHref(latest!),
        latest: latest!,
        earlier,
        unreadIds: items.filter((n) => !isRead(n)).map((n) => n.id),
      };
    })
    .sort((a, b) => newestFirst(a.latest, b.latest));
}

/** Where a notification leads: its export's page, or the webhooks settings for an endpoint's news. */
export const notificationHref = (n: Pick<Notification, 'job_id'>): string =>
  n.job_id ? `/exports/${n.job_id}` : '/settings/webhooks';

/** The bell counts exports with news, as it lists them: one entry, one count. */
export const unreadExportCount = (groups: readonly NotificationGroup[]): number =>
  groups.filter((g) => g.unreadIds.length > 0).length;
