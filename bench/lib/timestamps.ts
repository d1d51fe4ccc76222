/** `2026-11-28 10:00:00.123456+00` (Postgres text) or ISO → epoch ms with the microseconds kept. */
export function parseTimestamp(text: string): number {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d(?::?\d\d)?)$/.exec(text.replace(' ', 'T'));
  if (!match) return Date.parse(text);
  const [, base, fraction = '', zone = 'Z'] = match;
  const offset =
    zone === 'Z'
      ? 'Z'
      : zone.length === 3
        ? `${zone}:00`
        : zone.includes(':')
          ? zone
          : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  return Date.parse(`${base}${offset}`) + (fraction ? Number(fraction) * 1000 : 0);
}
