import { describe, expect, it } from 'vitest';
import type { Notification } from '@/lib/exports/types';
import { NOTIFICATION_LIMIT, prependNotification, withReadAt } from './notification-cache';

const n = (id: string) => ({ id }) as Notification;

describe('prependNotification', () => {
  it('prepends, ignores a duplicate delivery and caps the list', () => {
    expect(prependNotification([n('a')], n('b')).map((x) => x.id)).toEqual(['b', 'a']);
    expect(prependNotification([n('a')], n('a')).map((x) => x.id)).toEqual(['a']);
    expect(prependNotification(undefined, n('a'))).toHaveLength(1);
    const full = Array.from({ length: NOTIFICATION_LIMIT }, (_, i) => n(String(i)));
    expect(prependNotification(full, n('new'))).toHaveLength(NOTIFICATION_LIMIT);
  });
});

describe('withReadAt', () => {
  it('sets read_at of the rows given, leaves the rest and an unloaded list alone', () => {
    const list = [
      { ...n('a'), read_at: null },
      { ...n('b'), read_at: null },
    ];
    expect(withReadAt(list, [{ id: 'b', read_at: '2026-12-07T10:00:00Z' }])?.map((x) => x.read_at)).toEqual([
      null,
      '2026-12-07T10:00:00Z',
    ]);
    expect(withReadAt(undefined, [{ id: 'a', read_at: null }])).toBeUndefined();
  });
});
