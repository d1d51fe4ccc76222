/**
 * Typesense `filter_by` composition for keyset pagination. Typesense gives `&&` and `||` the SAME
 * precedence, left-associative (docs/protocols.md §5), so every part is parenthesised.
 *
 * The source's mandatory filter is not part of the request: it is embedded in the scoped search key each
 * search runs under (scoped-search-key.ts), and Typesense ANDs it after the request's filter. So a user
 * filter that closes its parentheses early (`x) || (y`) cannot read another organisation's records even
 * if it got past `checkUserFilter`: that check is the user's early, clear feedback (a 400 naming the
 * position), not the tenant boundary.
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
  userFilter: string | null;
  /** Exclusive lower bound of the key (null: from the start); a bigint keeps an int64 key exact. */
  afterKey: bigint | number | null;
  /** Inclusive upper bound: a lane's end, or the range of a shard being re-run. */
  lastKey?: bigint | number | null;
};

/**
 * A page's `filter_by`, as the request sends it. The moving cursor (`key:>after`) comes last and the fixed
 * upper bound before it: `&&` is left-associative, so the search engine sees
 * `((filter) && key:<=upper && key:>after) && (mandatory)`, one fixed expression per lane with a cursor
 * in it — the shape a keyset count can cache.
 */
export function composePageFilter(input: PageFilterInput): string {
  const parts: string[] = [];
  if (input.userFilter?.trim()) parts.push(`(${input.userFilter.trim()})`);
  if (input.lastKey !== undefined && input.lastKey !== null) parts.push(`${input.keyField}:<=${input.lastKey}`);
  if (input.afterKey !== null) parts.push(`${input.keyField}:>${input.afterKey}`);
  return parts.join(' && ');
}

/**
 * The filter Typesense searches with when a scoped key embeds `scopeFilter` (auth_manager.cpp
 * `add_item_to_params`): the request's, then the key's, each parenthesised. For counting what the server
 * will parse, and for tools that search with an unscoped key to read what the scoped search reads.
 */
export function filterUnderScope(requestFilter: string, scopeFilter: string | null): string {
  const scope = scopeFilter?.trim();
  if (!scope) return requestFilter;
  return requestFilter ? `(${requestFilter}) && (${scope})` : scope;
}

/**
 * Typesense refuses a `filter_by` of more than 100 tokens with a bare "Filter expression is not
 * valid." (filter.cpp, after `StringUtils::tokenize_filter_query`). A token is a parenthesis, an `&&`
 * or `||`, or one condition such as `state:[A, B]`; backtick-quoted text and `[…]` lists are part of
 * their condition.
 */
const MAX_FILTER_TOKENS = 100;

/** How many tokens Typesense's filter tokenizer makes of `filter`. */
export function countFilterTokens(filter: string): number {
  let count = 0;
  let i = 0;
  while (i < filter.length) {
    const ch = filter[i];
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      i += 1;
      continue;
    }
    count += 1;
    if (ch === '(' || ch === ')') {
      i += 1;
    } else if (filter.startsWith('&&', i) || filter.startsWith('||', i)) {
      i += 2;
    } else {
      // A condition runs to the next `(`, `)`, `&&` or `||` outside backticks, brackets and a geo
      // value's parentheses (`location:(48.8, 2.3, 5 km)`).
      let inBackticks = false;
      let brackets = 0;
      let geo = false;
      let afterColon = false;
      while (i < filter.length) {
        const c = filter[i];
        if (c === '`') inBackticks = !inBackticks;
        else if (!inBackticks && c === '[') brackets += 1;
        else if (!inBackticks && c === ']') brackets = Math.max(0, brackets - 1);
        else if (!inBackticks && afterColon && c === '(') geo = true;
        else if (geo && c === ')') geo = false;
        else if (
          !geo &&
          !inBackticks &&
          brackets === 0 &&
          (c === '(' || c === ')' || filter.startsWith('&&', i) || filter.startsWith('||', i))
        )
          break;
        if (c === ':') afterColon = true;
        else if (c !== ' ') afterColon = false;
        i += 1;
      }
    }
  }
  return count;
}

/**
 * The user's filter fits Typesense's 100-token cap once the export adds its own parts: the paging
 * bounds on the key and the parentheses around the filter, and the source's mandatory filter that the
 * scoped key ANDs after them (every page of every lane sends that longest form).
 */
export function checkFilterTokens(input: {
  keyField: string;
  mandatoryFilter: string | null;
  userFilter: string | null;
}): FilterCheck {
  if (!input.userFilter?.trim()) return { ok: true };
  const request = composePageFilter({ ...input, afterKey: 0, lastKey: 0 });
  const total = countFilterTokens(filterUnderScope(request, input.mandatoryFilter));
  if (total <= MAX_FILTER_TOKENS) return { ok: true };
  const own = countFilterTokens(input.userFilter);
  const available = MAX_FILTER_TOKENS - (total - own);
  return {
    ok: false,
    message:
      `The filter has ${own} terms (conditions, && and ||, parentheses); Typesense accepts at most ` +
      `${MAX_FILTER_TOKENS} in a whole search, and this source and the export's paging use ` +
      `${total - own} of them, so a filter can have at most ${Math.max(0, available)}. Combine conditions ` +
      `on one field into a list: state:[DRAFT, PUBLISHED] instead of state:=DRAFT || state:=PUBLISHED.`,
  };
}
