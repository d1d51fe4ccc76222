import { describe, expect, it } from 'vitest';
import { startExportInput } from './start-export';

const base = { sourceId: '00000000-0000-4000-8000-000000000001', format: 'csv' };

describe('startExportInput: the per-export formula guard', () => {
  it('is on unless the request turns it off', () => {
    expect(startExportInput.parse(base).neutraliseFormulas).toBe(true);
    expect(startExportInput.parse({ ...base, neutraliseFormulas: false }).neutraliseFormulas).toBe(false);
  });

  it('refuses anything but a boolean, naming the field', () => {
    const result = startExportInput.safeParse({ ...base, neutraliseFormulas: 'no' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['neutraliseFormulas']);
  });
});
