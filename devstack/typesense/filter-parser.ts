import { TypesenseError } from './errors';

/**
 * `filter_by` grammar → AST, following Typesense `src/filter.cpp` and `StringUtils::tokenize_filter_query`:
 *
 *   expr  := term (('&&' | '||') term)*     -- && and || have the SAME precedence, left-associative,
 *   term  := '(' expr ')' | cond               so `a || b && c` is `(a || b) && c` (filter.cpp toPostfix)
 *   cond  := field ':' ['=' | '!=' | '!' | '>' | '>=' | '<' | '<='] value
 *   value := atom | '[' item (',' item)* ']'
 *   item  := [comparator] atom | atom '..' atom
 *   atom  := `backtick quoted` | bare text
 *
 * The parser only knows syntax; field types, value validation and SQL live in filter-sql.ts.
 */

type Comparator = 'eq' | 'gt' | 'gte' | 'lt' | 'lte' | 'range';

export type FilterValue = {
  comparator: Comparator;
  value: string;
  /** Upper bound for `range` (`[a..b]`, inclusive). */
  upper?: string;
  /** The item as written minus surrounding backticks: what string fields compare against. */
  raw: string;
};

export type FilterCondition = {
  kind: 'cond';
  field: string;
  /** `:=` (exact) vs `:` (token match on strings; identical for numbers and bools). */
  exact: boolean;
  /** `:!=` / `:![…]`: none of the values. */
  negate: boolean;
  /** `[…]` list syntax was used. */
  list: boolean;
  values: FilterValue[];
};

export type FilterNode = FilterCondition | { kind: 'and' | 'or'; left: FilterNode; right: FilterNode };

/** Typesense refuses more than 100 tokens ("Filter expression is not valid.", filter.cpp). */
const MAX_TOKENS = 100;

type Token = { kind: '(' | ')' | '&&' | '||' } | { kind: 'expr'; text: string };

function tokenizeFilter(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const ch = input[i];
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      i++;
    } else if (ch === '(' || ch === ')') {
      tokens.push({ kind: ch });
      i++;
    } else if (input.startsWith('&&', i) || input.startsWith('||', i)) {
      tokens.push({ kind: input.startsWith('&&', i) ? '&&' : '||' });
      i += 2;
    } else {
      // An expression runs to the next top-level `&&`, `||` or `)`; backticks and [..] protect their content.
      let j = i;
      let inBacktick = false;
      let bracketDepth = 0;
      while (j < input.length) {
        const c = input[j];
        if (c === '`') inBacktick = !inBacktick;
        else if (!inBacktick && c === '[') bracketDepth++;
        else if (!inBacktick && c === ']') bracketDepth = Math.max(0, bracketDepth - 1);
        else if (
          !inBacktick &&
          bracketDepth === 0 &&
          (c === ')' || input.startsWith('&&', j) || input.startsWith('||', j))
        )
          break;
        j++;
      }
      if (inBacktick) throw new TypesenseError(400, 'Could not parse the filter query: unbalanced backticks.');
      tokens.push({ kind: 'expr', text: input.slice(i, j).trim() });
      i = j;
    }
  }
  return tokens;
}

/** Splits `a, `b,c`, d` on top-level commas, keeping backtick-quoted parts whole. */
function splitList(inner: string): string[] {
  const parts: string[] = [];
  let current = '';
  let inBacktick = false;
  for (const c of inner) {
    if (c === '`') inBacktick = !inBacktick;
    if (c === ',' && !inBacktick) {
      parts.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts.map((p) => p.trim());
}

/** Removes one pair of surrounding backticks: `` `Hello, World` `` → `Hello, World`. */
function unquote(atom: string): string {
  const t = atom.trim();
  return t.length >= 2 && t.startsWith('`') && t.endsWith('`') ? t.slice(1, -1) : t;
}

const comparatorPrefixes: Array<[string, Comparator]> = [
  ['>=', 'gte'],
  ['<=', 'lte'],
  ['>', 'gt'],
  ['<', 'lt'],
];

function parseItem(field: string, item: string): FilterValue {
  const text = item.trim();
  const raw = unquote(text);
  if (!text.startsWith('`')) {
    for (const [prefix, comparator] of comparatorPrefixes) {
      if (text.startsWith(prefix)) return { comparator, value: unquote(text.slice(prefix.length)), raw };
    }
    const range = text.indexOf('..');
    if (range > 0)
      return { comparator: 'range', value: text.slice(0, range).trim(), upper: text.slice(range + 2).trim(), raw };
  }
  if (raw === '' && !text.startsWith('`')) {
    throw new TypesenseError(400, `Error with filter field \`${field}\`: Filter value cannot be empty.`);
  }
  return { comparator: 'eq', value: raw, raw };
}

function parseCondition(text: string): FilterCondition {
  const colon = text.indexOf(':');
  if (colon <= 0) throw new TypesenseError(400, 'Could not parse the filter query.');
  const field = text.slice(0, colon).trim();
  let rest = text.slice(colon + 1).trim();
  let exact = false;
  let negate = false;
  let singleComparator: Comparator | undefined;
  const originalRest = rest;
  if (rest.startsWith('!=')) {
    negate = true;
    exact = true;
    rest = rest.slice(2).trim();
  } else if (rest.startsWith('![')) {
    negate = true;
    exact = true;
    rest = rest.slice(1).trim();
  } else if (rest.startsWith('=')) {
    exact = true;
    rest = rest.slice(1).trim();
  } else {
    for (const [prefix, comparator] of comparatorPrefixes) {
      if (rest.startsWith(prefix)) {
        singleComparator = comparator;
        rest = rest.slice(prefix.length).trim();
        break;
      }
    }
  }
  if (rest === '') throw new TypesenseError(400, `Error with filter field \`${field}\`: Filter value cannot be empty.`);

  if (singleComparator === undefined && rest.startsWith('[') && rest.endsWith(']')) {
    const items = splitList(rest.slice(1, -1));
    if (items.some((s) => s === '')) {
      throw new TypesenseError(400, `Error with filter field \`${field}\`: Filter value cannot be empty.`);
    }
    return { kind: 'cond', field, exact, negate, list: true, values: items.map((s) => parseItem(field, s)) };
  }
  if (singleComparator !== undefined) {
    const values = [{ comparator: singleComparator, value: unquote(rest), raw: unquote(originalRest) }];
    return { kind: 'cond', field, exact, negate, list: false, values };
  }
  const value = unquote(rest);
  return { kind: 'cond', field, exact, negate, list: false, values: [{ comparator: 'eq', value, raw: value }] };
}

/** Parses a whole `filter_by`; returns undefined for an empty filter (Typesense treats it as "no filter"). */
export function parseFilter(input: string): FilterNode | undefined {
  if (input.trim() === '') return undefined;
  const tokens = tokenizeFilter(input);
  if (tokens.length > MAX_TOKENS) throw new TypesenseError(400, 'Filter expression is not valid.');
  let pos = 0;

  const parseTerm = (): FilterNode => {
    const token = tokens[pos];
    if (token === undefined)
      throw new TypesenseError(400, 'Could not parse the filter query: unbalanced `&&` operands.');
    if (token.kind === '(') {
      pos++;
      const inner = parseExpr();
      if (tokens[pos]?.kind !== ')')
        throw new TypesenseError(400, 'Could not parse the filter query: unbalanced parentheses.');
      pos++;
      return inner;
    }
    if (token.kind === 'expr') {
      pos++;
      return parseCondition(token.text);
    }
    if (token.kind === ')') throw new TypesenseError(400, 'Could not parse the filter query: unbalanced parentheses.');
    throw new TypesenseError(400, `Could not parse the filter query: unbalanced \`${token.kind}\` operands.`);
  };

  const parseExpr = (): FilterNode => {
    let left = parseTerm();
    for (;;) {
      const op = tokens[pos];
      if (op === undefined || (op.kind !== '&&' && op.kind !== '||')) return left;
      pos++;
      if (tokens[pos] === undefined || tokens[pos]?.kind === ')') {
        throw new TypesenseError(400, `Could not parse the filter query: unbalanced \`${op.kind}\` operands.`);
      }
      const right = parseTerm();
      left = { kind: op.kind === '&&' ? 'and' : 'or', left, right };
    }
  };

  const root = parseExpr();
  if (pos !== tokens.length) {
    const extra = tokens[pos];
    throw new TypesenseError(
      400,
      extra?.kind === ')'
        ? 'Could not parse the filter query: unbalanced parentheses.'
        : 'Could not parse the filter query.',
    );
  }
  return root;
}
