import { describe, expect, it } from 'vitest';
import { FaultInjector } from './faults';

describe('FaultInjector', () => {
  it('fails exactly the next N requests, then passes', async () => {
    const faults = new FaultInjector();
    faults.set('storage', { failNext: 2 });
    const decisions = [];
    for (let i = 0; i < 3; i += 1) decisions.push(await faults.decide('storage', '/object/exports/a'));
    expect(decisions).toEqual(['error', 'error', 'pass']);
    expect(await faults.decide('typesense', '/collections/x')).toBe('pass');
  });

  it('aims at matching requests only, decoding the query first', async () => {
    const faults = new FaultInjector();
    faults.set('typesense', { failNext: 1, match: 'state:=DRAFT' });
    expect(await faults.decide('typesense', '/collections/c/documents/search?filter_by=portal_id%3A%3D1')).toBe('pass');
    expect(await faults.decide('typesense', '/collections/c/documents/search?filter_by=state%3A%3DDRAFT')).toBe(
      'error',
    );
    expect(await faults.decide('typesense', '/collections/c/documents/search?filter_by=state%3A%3DDRAFT')).toBe('pass');
  });

  it('refuses settings outside their ranges', () => {
    expect(() => new FaultInjector().set('storage', { errorRate: 2 })).toThrow();
  });
});
