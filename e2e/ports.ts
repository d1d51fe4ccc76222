/**
 * Ports of the end-to-end stack, apart from `npm run dev`'s defaults (3000, 54321, 54322, 8108).
 * `BATON_E2E_PORT_OFFSET` shifts them all, so two checkouts can run their e2e suites side by side.
 *
 * All of them sit below Linux's ephemeral range (32768–60999): the devstack's Deno functions listen on
 * port 0 and every outgoing connection takes a port from that range, and a CI run once lost its e2e
 * suite when Typesense's port, then 58108, was already taken (EADDRINUSE).
 */
const offset = Number(process.env.BATON_E2E_PORT_OFFSET ?? 0);

export const e2ePorts = {
  next: 3100 + offset,
  api: 24321 + offset,
  postgres: 24322 + offset,
  typesense: 28108 + offset,
} as const;

/** The e2e stack's Postgres, for tests that arrange what no API offers (another membership, a due retry). */
export const e2eDatabaseUrl = `postgres://postgres:postgres@127.0.0.1:${e2ePorts.postgres}/postgres`;
