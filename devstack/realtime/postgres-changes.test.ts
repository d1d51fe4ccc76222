import { describe, expect, it } from 'vitest';
import {
  MAX_RECORD_BYTES,
  matchesConditions,
  matchesTarget,
  parseFilter,
  precheckError,
  shapeChangeData,
  subscriptionId,
  validateConditions,
  type Column,
  type Condition,
  type StoredChange,
  type TableMeta,
} from './postgres-changes';

const columns: Column[] = [
  { name: 'id', type: 'uuid' },
  { name: 'n', type: 'int4' },
  { name: 'price', type: 'numeric' },
  { name: 'status', type: 'text' },
  { name: 'done', type: 'bool' },
  { name: 'at', type: 'timestamptz' },
  { name: 'meta', type: 'jsonb' },
];

function conditions(filter: string): Condition[] {
  const parsed = parseFilter(filter);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.conditions;
}

function matches(filter: string, row: Record<string, unknown>): boolean {
  return matchesConditions(conditions(filter), row, columns);
}

const row = {
  id: 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'.toLowerCase(),
  n: 5,
  price: 12.5,
  status: 'running',
  done: false,
  at: '2025-01-01T00:00:00.123456+00:00',
  meta: { a: 1, b: [1, 2] },
};

describe('subscriptionId', () => {
  it('is a stable integer below 2^27 that ignores key order', () => {
    const a = subscriptionId({ event: 'UPDATE', schema: 'public', table: 't', filter: 'id=eq.1' });
    const b = subscriptionId({ filter: 'id=eq.1', table: 't', schema: 'public', event: 'UPDATE' });
    expect(a).toBe(b);
    expect(Number.isInteger(a)).toBe(true);
    expect(a).toBeGreaterThanOrEqual(0);
    expect(a).toBeLessThan(2 ** 27);
    expect(subscriptionId({ event: 'INSERT', schema: 'public', table: 't' })).not.toBe(a);
  });
});

describe('matchesTarget', () => {
  const change = { schema: 'public', table: 'jobs', type: 'UPDATE' as const };
  it('matches event, schema and table, with * and absent table as wildcards', () => {
    expect(matchesTarget({ event: 'UPDATE', schema: 'public', table: 'jobs' }, change)).toBe(true);
    expect(matchesTarget({ event: '*', schema: 'public' }, change)).toBe(true);
    expect(matchesTarget({ event: '*', schema: '*' }, change)).toBe(true);
    expect(matchesTarget({ event: 'update', schema: 'public', table: '*' }, change)).toBe(true);
    expect(matchesTarget({ event: 'INSERT', schema: 'public', table: 'jobs' }, change)).toBe(false);
    expect(matchesTarget({ event: 'UPDATE', schema: 'other', table: 'jobs' }, change)).toBe(false);
    expect(matchesTarget({ event: 'UPDATE', schema: 'public', table: 'notes' }, change)).toBe(false);
  });
});

describe('parseFilter', () => {
  it('parses single and comma-separated conditions, not., in lists and quoting', () => {
    expect(conditions('id=eq.1')).toEqual([{ column: 'id', op: 'eq', negate: false, value: '1' }]);
    expect(conditions('n=gt.1,status=not.eq.done')).toEqual([
      { column: 'n', op: 'gt', negate: false, value: '1' },
      { column: 'status', op: 'eq', negate: true, value: 'done' },
    ]);
    expect(conditions('status=in.(a,"b,c",null,"null")')).toEqual([
      { column: 'status', op: 'in', negate: false, values: ['a', 'b,c', null, 'null'] },
    ]);
    expect(conditions('status=eq."say \\"hi\\", (ok)"')).toEqual([
      { column: 'status', op: 'eq', negate: false, value: 'say "hi", (ok)' },
    ]);
    expect(conditions('done=is.null')).toEqual([{ column: 'done', op: 'is', negate: false, value: 'null' }]);
    expect(conditions('')).toEqual([]);
  });

  it('rejects malformed filters with a message', () => {
    for (const bad of ['id', 'id=eq', 'id=zz.1', 'id=in.1,2', 'id=in.(1', 'id=is.maybe', '=eq.1', 'id=eq."open']) {
      const parsed = parseFilter(bad);
      expect(parsed.ok, bad).toBe(false);
    }
  });
});

describe('matchesConditions', () => {
  it('eq/neq compare by column type', () => {
    expect(matches(`id=eq.${row.id.toUpperCase()}`, row)).toBe(true);
    expect(matches('n=eq.5', row)).toBe(true);
    expect(matches('n=eq.05', row)).toBe(true);
    expect(matches('price=eq.12.50', row)).toBe(true);
    expect(matches('status=eq.running', row)).toBe(true);
    expect(matches('status=neq.running', row)).toBe(false);
    expect(matches('done=eq.false', row)).toBe(true);
    expect(matches('done=eq.f', row)).toBe(true);
    // realtime-js quotes values containing `,()"\` (RealtimePostgresFilterBuilder).
    expect(matches('meta=eq."{\\"b\\":[1,2],\\"a\\":1}"', row)).toBe(true);
  });

  it('orders numbers numerically and timestamps by instant', () => {
    expect(matches('n=lt.10', row)).toBe(true); // as text '5' > '10'
    expect(matches('n=lte.5', row)).toBe(true);
    expect(matches('n=gt.5', row)).toBe(false);
    expect(matches('n=gte.5', row)).toBe(true);
    expect(matches('at=gt.2024-12-31T23:00:00-02:00', row)).toBe(false);
    expect(matches('at=gt.2024-12-31T23:59:59Z', row)).toBe(true);
    expect(matches('at=lt.2025-01-01', row)).toBe(false);
  });

  it('in, not.in, like, ilike, match, is, isdistinct', () => {
    expect(matches('status=in.(queued,running)', row)).toBe(true);
    expect(matches('n=in.(1,2,3)', row)).toBe(false);
    expect(matches('n=not.in.(1,2,3)', row)).toBe(true);
    expect(matches('status=like.run%', row)).toBe(true);
    expect(matches('status=like.RUN%', row)).toBe(false);
    expect(matches('status=ilike.RUN%', row)).toBe(true);
    expect(matches('status=like.r_nning', row)).toBe(true);
    expect(matches('status=match.^ru', row)).toBe(true);
    expect(matches('status=imatch.^RU', row)).toBe(true);
    expect(matches('done=is.false', row)).toBe(true);
    expect(matches('done=is.null', row)).toBe(false);
    expect(matches('done=not.is.null', row)).toBe(true);
    expect(matches('status=isdistinct.running', row)).toBe(false);
    expect(matches('status=isdistinct.queued', row)).toBe(true);
  });

  it('ANDs conditions', () => {
    expect(matches('n=gt.1,status=eq.running', row)).toBe(true);
    expect(matches('n=gt.1,status=eq.queued', row)).toBe(false);
  });

  it('treats NULL like SQL: only is/isdistinct can match it', () => {
    const withNull = { ...row, status: null };
    expect(matches('status=eq.running', withNull)).toBe(false);
    expect(matches('status=neq.running', withNull)).toBe(false);
    expect(matches('status=not.eq.running', withNull)).toBe(false);
    expect(matches('status=is.null', withNull)).toBe(true);
    expect(matches('status=isdistinct.running', withNull)).toBe(true);
    expect(matches('n=in.(5,null)', row)).toBe(true);
    expect(matches('n=in.(6,null)', row)).toBe(false);
    expect(matches('n=not.in.(6,null)', row)).toBe(false);
  });

  it('fails closed on a column the row does not carry (a DELETE key-only old row)', () => {
    expect(matches('status=eq.running', { id: row.id })).toBe(false);
    expect(matchesConditions(conditions('status=eq.running'), null, columns)).toBe(false);
    expect(matchesConditions([], null, columns)).toBe(true);
  });
});

describe('validateConditions', () => {
  it('accepts valid filters and explains invalid ones', () => {
    expect(validateConditions(conditions('n=eq.1,status=like.a%,done=is.true'), columns)).toBeNull();
    expect(validateConditions(conditions('nope=eq.1'), columns)).toMatch(/invalid column for filter nope/);
    expect(validateConditions(conditions('n=eq.abc'), columns)).toMatch(/invalid input syntax for type int4/);
    expect(validateConditions(conditions('id=eq.123'), columns)).toMatch(/type uuid/);
    expect(validateConditions(conditions('n=like.1%'), columns)).toMatch(/text-compatible/);
    expect(validateConditions(conditions('n=is.true'), columns)).toMatch(/boolean column/);
    expect(validateConditions(conditions('status=match."("'), columns)).toMatch(/invalid regular expression/);
    expect(validateConditions(conditions('n=in.(1,x)'), columns)).toMatch(/invalid input syntax/);
  });
});

describe('shapeChangeData', () => {
  const meta: TableMeta = { columns: columns.slice(0, 4), primaryKey: ['id'], rlsEnabled: true };
  const all = new Set(meta.columns.map((c) => c.name));
  const base = { schema: 'public', table: 'jobs', commitTimestamp: '2025-01-01T00:00:00.123Z' };

  it('UPDATE carries record, key-only old_record, columns in order and errors null', () => {
    const change: StoredChange = {
      ...base,
      type: 'UPDATE',
      record: { id: 'x', n: 1, price: 2, status: 's' },
      oldRecord: { id: 'x' },
    };
    expect(shapeChangeData(change, meta, all)).toEqual({
      schema: 'public',
      table: 'jobs',
      type: 'UPDATE',
      commit_timestamp: '2025-01-01T00:00:00.123Z',
      columns: meta.columns,
      record: { id: 'x', n: 1, price: 2, status: 's' },
      old_record: { id: 'x' },
      errors: null,
    });
  });

  it('only sends columns the role can select', () => {
    const change: StoredChange = {
      ...base,
      type: 'INSERT',
      record: { id: 'x', n: 1, price: 2, status: 's' },
      oldRecord: null,
    };
    const data = shapeChangeData(change, meta, new Set(['id', 'status']));
    expect(data.columns).toEqual([
      { name: 'id', type: 'uuid' },
      { name: 'status', type: 'text' },
    ]);
    expect(data.record).toEqual({ id: 'x', status: 's' });
    expect(data.old_record).toBeUndefined();
  });

  it('DELETE on an RLS table sends key columns only', () => {
    const change: StoredChange = { ...base, type: 'DELETE', record: null, oldRecord: { id: 'x', status: 's' } };
    expect(shapeChangeData(change, meta, all).old_record).toEqual({ id: 'x' });
    expect(shapeChangeData(change, { ...meta, rlsEnabled: false }, all).old_record).toEqual({ id: 'x', status: 's' });
  });

  it('flags records over max_record_bytes with 413 and keeps only small values', () => {
    const big = 'x'.repeat(MAX_RECORD_BYTES + 1);
    const change: StoredChange = { ...base, type: 'INSERT', record: { id: 'x', status: big }, oldRecord: null };
    const data = shapeChangeData(change, meta, all);
    expect(data.errors).toEqual(['Error 413: Payload Too Large']);
    expect(data.record).toEqual({ id: 'x' });
  });

  it('prechecks a missing or unreadable primary key', () => {
    const change: StoredChange = { ...base, type: 'INSERT', record: { id: 'x' }, oldRecord: null };
    expect(precheckError(change, { ...meta, primaryKey: [] }, all)).toBe('Error 400: Bad Request, no primary key');
    expect(precheckError(change, meta, new Set(['n']))).toBe('Error 401: Unauthorized');
    expect(precheckError(change, meta, all)).toBeNull();
    expect(precheckError({ ...change, type: 'DELETE' }, { ...meta, primaryKey: [] }, all)).toBeNull();
  });
});
