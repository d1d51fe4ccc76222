import { describe, expect, it } from 'vitest';
import { dashboardPort } from './dashboard-port';

describe('dashboardPort', () => {
  it('is 3000 unless PORT moves it', () => {
    expect(dashboardPort({})).toBe(3000);
    expect(dashboardPort({ PORT: '' })).toBe(3000);
    expect(dashboardPort({ PORT: '3001' })).toBe(3001);
  });

  it('refuses what is no port with a sentence that shows one', () => {
    expect(() => dashboardPort({ PORT: 'abc' })).toThrow('PORT must be a port number, e.g. PORT=3001');
    expect(() => dashboardPort({ PORT: '70000' })).toThrow('PORT must be from 1 to 65535');
    expect(() => dashboardPort({ PORT: '30.5' })).toThrow('PORT must be a whole port number');
  });
});
