/** Ports of the end-to-end stack, apart from `npm run dev`'s defaults (3000, 54321, 54322, 8108). */
export const e2ePorts = {
  next: 3100,
  api: 55321,
  postgres: 55322,
  typesense: 58108,
} as const;
