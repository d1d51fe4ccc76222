import { describe, expect, it } from 'vitest';
import { connectionStateFor } from './connection-state';

describe('connectionStateFor', () => {
  it('is live only when subscribed, reconnecting after errors, connecting before', () => {
    expect(connectionStateFor('SUBSCRIBED')).toBe('live');
    expect(connectionStateFor('CHANNEL_ERROR')).toBe('reconnecting');
    expect(connectionStateFor('TIMED_OUT')).toBe('reconnecting');
    expect(connectionStateFor('CLOSED')).toBe('reconnecting');
    expect(connectionStateFor('joining')).toBe('connecting');
  });
});
