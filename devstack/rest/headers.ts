import { mediaTypeError } from './errors';

/**
 * The request headers PostgREST negotiates on: `Prefer` (RFC 7240, values joined with ", " by
 * postgrest-js) and `Accept` (array vs single object, `nulls=stripped`).
 */

export type Preferences = {
  return: 'minimal' | 'representation' | 'headers-only' | undefined;
  count: boolean;
  resolution: 'merge-duplicates' | 'ignore-duplicates' | undefined;
  missing: 'default' | 'null' | undefined;
  strict: boolean;
  maxAffected: number | undefined;
};

export function parsePrefer(header: string | string[] | undefined): Preferences {
  const prefs: Preferences = {
    return: undefined,
    count: false,
    resolution: undefined,
    missing: undefined,
    strict: false,
    maxAffected: undefined,
  };
  const raw = Array.isArray(header) ? header.join(',') : (header ?? '');
  for (const token of raw.split(/[,;]/)) {
    const [name, value] = token
      .trim()
      .split('=')
      .map((s) => s.trim());
    if (name === 'return' && (value === 'minimal' || value === 'representation' || value === 'headers-only'))
      prefs.return = value;
    // planned / estimated are answered with the exact count: the devstack's tables are small.
    else if (name === 'count' && (value === 'exact' || value === 'planned' || value === 'estimated'))
      prefs.count = true;
    else if (name === 'resolution' && (value === 'merge-duplicates' || value === 'ignore-duplicates'))
      prefs.resolution = value;
    else if (name === 'missing' && (value === 'default' || value === 'null')) prefs.missing = value;
    else if (name === 'handling') prefs.strict = value === 'strict';
    else if (name === 'max-affected' && value !== undefined && /^\d+$/.test(value)) prefs.maxAffected = Number(value);
    // Anything else (tx=rollback, timezone=…, params=…) is ignored, as PostgREST does with lenient handling.
  }
  return prefs;
}

export type ResponseShape = { single: boolean; stripNulls: boolean };

/**
 * Picks the response shape from `Accept`. JSON arrays (`application/json`, `*\/*`, the pgrst array type)
 * and the single-object type are offered; anything else (csv, geojson, plans) is refused with 406
 * PGRST107 like a PostgREST without those handlers.
 */
export function negotiateAccept(header: string | undefined): ResponseShape {
  if (!header || header.trim() === '') return { single: false, stripNulls: false };
  const ranges = header.split(',').map((part) => {
    const [type = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    return { type, stripNulls: params.includes('nulls=stripped') };
  });
  for (const range of ranges) {
    if (range.type === 'application/vnd.pgrst.object+json' || range.type === 'application/vnd.pgrst.object') {
      return { single: true, stripNulls: range.stripNulls };
    }
    if (
      range.type === 'application/json' ||
      range.type === '*/*' ||
      range.type === 'application/*' ||
      range.type === 'application/vnd.pgrst.array+json' ||
      range.type === 'application/vnd.pgrst.array'
    ) {
      return { single: false, stripNulls: range.stripNulls };
    }
  }
  throw mediaTypeError(ranges.map((r) => r.type));
}
