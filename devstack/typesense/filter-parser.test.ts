import { describe, expect, it } from 'vitest';
import { TypesenseError } from './errors';
import { parseFilter, type FilterNode } from './filter-parser';

/** Compact rendering of an AST so precedence is easy to read in assertions. */
function show(node: FilterNode | undefined): string {
  if (!node) return '<none>';
  if (node.kind === 'cond') {
    const op = `${node.negate ? '!' : ''}${node.exact ? '=' : ''}`;
    const values = node.values.map((v) =>
      v.comparator === 'range'
        ? `${v.value}..${v.upper}`
        : v.comparator === 'eq'
          ? v.value
          : `${v.comparator}${v.value}`,
    );
    return `${node.field}:${op}${node.list ? `[${values.join('|')}]` : values[0]}`;
  }
  return `(${show(node.left)} ${node.kind} ${show(node.right)})`;
}

function errorOf(fn: () => unknown): TypesenseError {
  try {
    fn();
  } catch (error) {
    if (error instanceof TypesenseError) return error;
    throw error;
  }
  throw new Error('expected a TypesenseError');
}

describe('parseFilter', () => {
  it('treats an empty filter as no filter', () => {
    expect(parseFilter('')).toBeUndefined();
    expect(parseFilter('   ')).toBeUndefined();
  });

  it('parses every comparator', () => {
    expect(show(parseFilter('a:1'))).toBe('a:1');
    expect(show(parseFilter('a:=1'))).toBe('a:=1');
    expect(show(parseFilter('a:!=1'))).toBe('a:!=1');
    expect(show(parseFilter('a:>1'))).toBe('a:gt1');
    expect(show(parseFilter('a:>=1'))).toBe('a:gte1');
    expect(show(parseFilter('a:<1'))).toBe('a:lt1');
    expect(show(parseFilter('a:<= -5'))).toBe('a:lte-5');
  });

  it('parses lists, ranges, exact lists and negated lists', () => {
    expect(show(parseFilter('a:[1, 2,3]'))).toBe('a:[1|2|3]');
    expect(show(parseFilter('a:=[x,y]'))).toBe('a:=[x|y]');
    expect(show(parseFilter('a:![x,y]'))).toBe('a:!=[x|y]');
    expect(show(parseFilter('a:!=[x,y]'))).toBe('a:!=[x|y]');
    expect(show(parseFilter('a:[10..100]'))).toBe('a:[10..100]');
    expect(show(parseFilter('a:[<10, >100, 40..50]'))).toBe('a:[lt10|gt100|40..50]');
  });

  it('keeps backtick-quoted values whole, commas, && and parentheses included', () => {
    const node = parseFilter('title:=`Hello, World && (more) || less` && tags:[`a,b`, c]');
    expect(show(node)).toBe('(title:=Hello, World && (more) || less and tags:[a,b|c])');
  });

  it('gives && and || the same precedence, left-associative, like Typesense', () => {
    expect(show(parseFilter('a:1 || b:2 && c:3'))).toBe('((a:1 or b:2) and c:3)');
    expect(show(parseFilter('a:1 && b:2 || c:3'))).toBe('((a:1 and b:2) or c:3)');
    expect(show(parseFilter('a:1 || (b:2 && c:3)'))).toBe('(a:1 or (b:2 and c:3))');
    expect(show(parseFilter('((a:1))'))).toBe('a:1');
  });

  it('rejects malformed filters with Typesense messages', () => {
    expect(errorOf(() => parseFilter('nonsense')).message).toBe('Could not parse the filter query.');
    expect(errorOf(() => parseFilter('(a:1')).message).toBe(
      'Could not parse the filter query: unbalanced parentheses.',
    );
    expect(errorOf(() => parseFilter('a:1)')).message).toBe(
      'Could not parse the filter query: unbalanced parentheses.',
    );
    expect(errorOf(() => parseFilter('a:1 &&')).message).toBe(
      'Could not parse the filter query: unbalanced `&&` operands.',
    );
    expect(errorOf(() => parseFilter('a:')).message).toBe('Error with filter field `a`: Filter value cannot be empty.');
    expect(errorOf(() => parseFilter('a:`open')).status).toBe(400);
    const many = Array.from({ length: 60 }, (_, i) => `a:${i}`).join(' && ');
    expect(errorOf(() => parseFilter(many)).message).toBe('Filter expression is not valid.');
  });
});
