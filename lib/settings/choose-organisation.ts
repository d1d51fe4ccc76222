/** An organisation whose settings the signed-in user manages (role admin). */
export type AdministeredOrganisation = { id: string; name: string };

/** A settings page's query, as Next.js hands it over. */
export type SettingsSearchParams = Promise<{ org?: string | string[] }>;

/** The query parameter that names the organisation a settings page shows (`/settings/webhooks?org=<id>`). */
export const SETTINGS_ORGANISATION_PARAM = 'org';

/**
 * The organisation a settings page shows: an agency's admin may run several client organisations, so a
 * link names one (`?org=<id>`). One this user administers is shown; any other id (a stale link, another
 * organisation's) falls back to the first by name rather than an error — it reveals nothing, and every
 * settings function checks the role again in the database. Null: they administer none.
 */
export function chooseOrganisation(
  administered: readonly AdministeredOrganisation[],
  requested: string | string[] | undefined,
): AdministeredOrganisation | null {
  const id = Array.isArray(requested) ? requested[0] : requested;
  return administered.find((o) => o.id === id) ?? administered[0] ?? null;
}

/** A settings path for one organisation, as the tabs and the organisation menu link to it. */
export function settingsHref(path: string, organisationId: string | null): string {
  return organisationId ? `${path}?${SETTINGS_ORGANISATION_PARAM}=${encodeURIComponent(organisationId)}` : path;
}
