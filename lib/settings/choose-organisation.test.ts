import { describe, expect, it } from 'vitest';
import { chooseOrganisation, settingsHref } from './choose-organisation';

const acme = { id: '0b5e6a9e-0000-4000-a000-000000000001', name: 'Acme Digital Agency' };
const partner = { id: '0b5e6a9e-0000-4000-a000-000000000002', name: 'Partner Agency' };

describe('chooseOrganisation', () => {
  it('shows the organisation the link names when this user administers it', () => {
    expect(chooseOrganisation([acme, partner], partner.id)).toBe(partner);
    expect(chooseOrganisation([acme, partner], [partner.id, acme.id])).toBe(partner);
  });

  it('falls back to the first by name for no id, an unknown id or one they do not administer', () => {
    expect(chooseOrganisation([acme, partner], undefined)).toBe(acme);
    expect(chooseOrganisation([acme, partner], 'not-an-id')).toBe(acme);
    expect(chooseOrganisation([partner], acme.id)).toBe(partner);
  });

  it('is null for someone who administers none', () => {
    expect(chooseOrganisation([], acme.id)).toBeNull();
  });
});

describe('settingsHref', () => {
  it('names the organisation in the query, or links to the bare path', () => {
    expect(settingsHref('/settings/webhooks', partner.id)).toBe(`/settings/webhooks?org=${partner.id}`);
    expect(settingsHref('/settings', null)).toBe('/settings');
  });
});
