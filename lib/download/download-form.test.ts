import { describe, expect, it } from 'vitest';
import { downloadAvailability, downloadHref, formPrefix, formsFor, formSize } from './download-form';

describe('download forms', () => {
  it('offers no file once its date has passed, before the sweep removed it as after (a share link stops too)', () => {
    const now = new Date('2026-12-07T12:00:00Z');
    const completed = { status: 'completed' as const, shards_written: 4, expired_at: null };
    expect(downloadAvailability({ ...completed, expires_at: '2026-12-08T12:00:00Z' }, now).available).toBe(true);
    expect(downloadAvailability({ ...completed, expires_at: '2026-12-07T11:59:59Z' }, now).available).toBe(false);
    expect(
      downloadAvailability(
        { ...completed, expires_at: '2026-12-01T00:00:00Z', expired_at: '2026-12-01T00:00:10Z' },
        now,
      ).available,
    ).toBe(false);
  });

  it('offers the Excel form for CSV only, the gzip form for both formats', () => {
    expect(formsFor('csv')).toEqual(['plain', 'excel', 'gzip']);
    expect(formsFor('ndjson')).toEqual(['plain', 'gzip']);
  });

  it('puts exactly one UTF-8 byte-order mark before the Excel form, nothing before the plain one', () => {
    expect([...formPrefix('excel')]).toEqual([0xef, 0xbb, 0xbf]);
    expect(new TextDecoder('utf-8', { ignoreBOM: true }).decode(formPrefix('excel'))).toBe('\uFEFF');
    expect(formPrefix('plain')).toHaveLength(0);
  });

  it('gives each form its exact size from the job row, and none for a CSV that is only its header', () => {
    const job = { format: 'csv' as const, shards_written: 3, bytes_written: 1_000, gzip_bytes_written: 120 };
    expect(formSize(job, 'plain')).toBe(1_000);
    expect(formSize(job, 'excel')).toBe(1_003);
    expect(formSize(job, 'gzip')).toBe(120);
    // Shards stored plain (before compressed storage): no compressed form.
    expect(formSize({ ...job, gzip_bytes_written: null }, 'gzip')).toBeNull();
    expect(formSize({ ...job, shards_written: 0, bytes_written: 0 }, 'plain')).toBeNull();
    expect(formSize({ format: 'ndjson', shards_written: 0, bytes_written: 0, gzip_bytes_written: null }, 'plain')).toBe(
      0,
    );
  });

  it('links every form, partial or not, to the download route; the plain file has the plain URL', () => {
    expect(downloadHref('j1', { form: 'plain', partial: false })).toBe('/api/exports/j1/download');
    expect(downloadHref('j1', { form: 'excel', partial: false })).toBe('/api/exports/j1/download?form=excel');
    expect(downloadHref('j1', { form: 'excel', partial: true })).toBe('/api/exports/j1/download?partial=1&form=excel');
    expect(downloadHref('j1', { form: 'gzip', partial: true })).toBe('/api/exports/j1/download?partial=1&form=gzip');
  });
});
