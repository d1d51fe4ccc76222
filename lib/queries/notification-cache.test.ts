import { describe, expect, it } from 'vitest';
import type { Notification } from '@/lib/exports/types';
import { NOTIFICATION_LIMIT, prependNotification } from './notification-cache';

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
