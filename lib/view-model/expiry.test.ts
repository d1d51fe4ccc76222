import { describe, expect, it } from 'vitest';
import { expiryText } from './expiry';

const now = Date.parse('2026-12-07T12:00:00Z');
const none = { expires_at: null, expired_at: null, kept_until: null };

describe('expiryText', () => {
  it('says nothing while the export runs', () => {
    expect(expiryText(none, now)).toBeNull();
  });

  it('counts down to the expiry', () => {
    expect(expiryText({ ...none, expires_at: '2026-12-10T12:00:00Z' }, now)).toBe('Expires in 3 days');
    expect(expiryText({ ...none, expires_at: '2026-12-07T17:00:00Z' }, now)).toBe('Expires in 5 hours');
  });

  it('names the date of a pin, and of an expiry that happened', () => {
    expect(expiryText({ ...none, expires_at: '2027-03-03T12:00:00Z', kept_until: '2027-03-03T12:00:00Z' }, now)).toBe(
      'Kept until 3 Mar 2027',
    );
    expect(
      expiryText({ expires_at: '2026-12-02T12:00:00Z', expired_at: '2026-12-02T12:00:10Z', kept_until: null }, now),
    ).toBe('Expired 2 Dec 2026');
  });

  it('says an expiry past due is under way', () => {
    expect(expiryText({ ...none, expires_at: '2026-12-07T11:00:00Z' }, now)).toBe('Expiring now');
  });
});
