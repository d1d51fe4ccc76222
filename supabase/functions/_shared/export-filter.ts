/**
 * Typesense `filter_by` composition for keyset pagination. Typesense gives `&&` and `||` the SAME
 * precedence, left-associative (protocols.md §5), so every part is parenthesised, and a user filter
 * must not be able to close its parentheses early: `x) || (y` would turn `(mandatory) && (x) || (y)`
 * into `((mandatory && x) || y)` and read another portal's records.
 */

export const MAX_USER_FILTER_LENGTH = 2000;

export type FilterCheck = { ok: true } | { ok: false; message: string };

/** Parentheses balanced and never closing below the filter's own level; backtick-quoted text ignored. */
export function checkUserFilter(filter: string): FilterCheck {
  if (filter.length > MAX_USER_FILTER_LENGTH) {
    return { ok: false, message: `The filter is longer than ${MAX_USER_FILTER_LENGTH} characters.` };
  }
  let depth = 0;
  let inBackticks = false;
  for (let i = 0; i < filter.length; i += 1) {
    const ch = filter[i];
    if (ch === '`') inBackticks = !inBackticks;
    else if (!inBackticks && ch === '(') depth += 1;
    else if (!inBackticks && ch === ')') {
      depth -= 1;
      if (depth < 0) return { ok: false, message: `Unbalanced ")" at position ${i + 1} of the filter.` };
    }
  }
  if (inBackticks) return { ok: false, message: 'The filter has an unclosed backtick (`).' };
  if (depth !== 0) return { ok: false, message: 'The filter has an unclosed "(".' };
  return { ok: true };
}

export type PageFilterInput = {
  keyField: string;
  mandatoryFilter: string | null;
  userFilter: string | null;
  /** Exclusive lower bound of the key (null: from the start). */
  afterKey: number | null;
  /** Inclusive upper bound: a lane's end, or the range of a shard being re-run. */
  lastKey?: number | null;
};

/**
 * The moving cursor (`key:>after`) comes last and the fixed upper bound before it: `&&` is
 * left-associative, so the search engine sees `(filter && key:<=upper) && key:>after`, one fixed
 * expression per lane with a cursor peeled off its right — the shape a keyset count can cache.
 */
export function composePageFilter(input: PageFilterInput): string {
  const parts: string[] = [];
  if (input.mandatoryFilter?.trim()) parts.push(`(${input.mandatoryFilter.trim()})`);
  if (input.userFilter?.trim()) parts.push(`(${input.userFilter.trim()})`);
  if (input.lastKey !== undefined && input.lastKey !== null) parts.push(`${input.keyField}:<=${input.lastKey}`);
  if (input.afterKey !== null) parts.push(`${input.keyField}:>${input.afterKey}`);
  return parts.join(' && ');
}
