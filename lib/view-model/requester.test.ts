import { describe, expect, it } from 'vitest';
import { requesterLabel } from './requester';

describe('requesterLabel', () => {
  it('names you, a teammate, or a former member whose account is gone', () => {
    expect(requesterLabel('u1', 'u1')).toBe('You');
    expect(requesterLabel('u2', 'u1')).toBe('A teammate');
    expect(requesterLabel(null, 'u1')).toBe('A former member');
  });
});
