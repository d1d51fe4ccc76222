/**
 * Ports of the end-to-end stack, apart from `npm run dev`'s defaults (3000, 54321, 54322, 8108).
 * `BATON_E2E_PORT_OFFSET` shifts them all, so two checkouts can run their e2e suites side by side.
 */
const offset = Number(process.env.BATON_E2E_PORT_OFFSET ?? 0);

export const e2ePorts = {
  next: 3100 + offset,
  api: 55321 + offset,
  postgres: 55322 + offset,
  typesense: 58108 + offset,
} as const;
