import { describe, expect, it } from 'vitest';
import type { Notification } from '@/lib/exports/types';
import { groupNotificationsByExport, notificationText, unreadExportCount } from './notification-feed';

const JOB_A = 'c3703a57-0000-4000-8000-000000000001';
const JOB_B = '0b5e1c2d-0000-4000-8000-000000000002';

const note = (id: string, jobId: string, minute: number, patch: Partial<Notification> = {}): Notification => ({
  id,
  user_id: 'u',
  organisation_id: 'o',
  job_id: jobId,
  webhook_endpoint_id: null,
  run_no: 1,
  kind: 'export_completed',
  title: `Export completed: ${id}`,
  body: '20,000 rows in 80 shards (CSV). Export c3703a57.',
  error_kind: null,
  read_at: null,
  created_at: new Date(Date.UTC(2026, 11, 7, 10, minute)).toISOString(),
  ...patch,
});

describe('notificationText', () => {
  it('puts a failure into words from its kind and keeps the raw error as the detail', () => {
    const raw = 'Lane 1: Request failed with HTTP code 503 | Server said: Not Ready or Lagging Export c3703a57.';
    expect(
      notificationText(note('f', JOB_A, 0, { kind: 'export_failed', body: raw, error_kind: 'source_unavailable' })),
    ).toEqual({
      sentence: "Couldn't read the records of a shard: the search index (Typesense) did not answer. Export c3703a57.",
      detail: raw,
    });
  });

  it('leaves the plain bodies of other outcomes alone', () => {
    expect(notificationText(note('c', JOB_A, 0))).toEqual({
      sentence: '20,000 rows in 80 shards (CSV). Export c3703a57.',
      detail: null,
    });
  });
});

describe('groupNotificationsByExport', () => {
  it('gives each export one entry, its latest outcome first and the earlier ones kept, newest export first', () => {
    const list = [
      note('a-run2', JOB_A, 30, { run_no: 2 }),
      note('b-run1', JOB_B, 20, { read_at: '2026-12-07T10:21:00Z' }),
      note('a-run1', JOB_A, 10, { kind: 'export_failed', read_at: '2026-12-07T10:11:00Z' }),
      note('a-cancel', JOB_A, 5, { kind: 'export_cancelled' }),
    ];
    const groups = groupNotificationsByExport(list);
    expect(groups.map((g) => [g.jobId, g.latest.id, g.earlier.map((n) => n.id), g.unreadIds])).toEqual([
      [JOB_A, 'a-run2', ['a-run1', 'a-cancel'], ['a-run2', 'a-cancel']],
      [JOB_B, 'b-run1', [], []],
    ]);
    expect(unreadExportCount(groups)).toBe(1);
  });

  it('counts as read what the caller says is read (a read on its way to the database)', () => {
    const groups = groupNotificationsByExport([note('a', JOB_A, 1), note('b', JOB_B, 2)], (n) => n.id === 'b');
    expect(unreadExportCount(groups)).toBe(1);
    expect(groups.find((g) => g.jobId === JOB_A)?.unreadIds).toEqual(['a']);
  });
});

describe('a webhook endpoint disabled', () => {
  it('is its own entry, leading to the webhooks settings', () => {
    const disabled = note('w', JOB_A, 5, {
      job_id: null,
      webhook_endpoint_id: 'e1',
      kind: 'webhook_disabled',
      title: 'Webhook endpoint disabled',
    });
    const groups = groupNotificationsByExport([note('a', JOB_A, 1), disabled]);
    expect(groups.map((g) => [g.key, g.href])).toEqual([
      ['webhook:e1', '/settings/webhooks'],
      [JOB_A, `/exports/${JOB_A}`],
    ]);
  });
});
