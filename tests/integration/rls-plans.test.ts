import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testStack } from './stack-info';

/**
 * Database hygiene (issue 11.14): row-level security works out the caller's organisations once per
 * statement, so the organisation indexes serve a user's reads; and every function has a fixed
 * search_path (a function without one resolves names through the caller's path).
 */
const db = new pg.Pool({ connectionString: testStack().pgConnectionString, max: 2 });
let userId: string;

type PlanNode = { 'Node Type': string; 'Index Name'?: string; 'Index Cond'?: string; Plans?: PlanNode[] };

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

/** The plan of `sql` as the signed-in user (RLS applies), with sequential scans priced out. */
async function planAsUser(sql: string): Promise<PlanNode[]> {
  const client = await db.connect();
  try {
    await client.query('begin');
    await client.query("select set_config('request.jwt.claims', $1, true), set_config('role', 'authenticated', true)", [
      JSON.stringify({ role: 'authenticated', sub: userId }),
    ]);
    // Tiny test tables would be scanned whatever the policy: the question is whether an index CAN serve it.
    await client.query('set local enable_seqscan = off');
    const { rows } = await client.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(`explain (format json) ${sql}`);
    return nodes(rows[0]!['QUERY PLAN'][0]!.Plan);
  } finally {
    await client.query('rollback');
    client.release();
  }
}

beforeAll(async () => {
  userId = randomUUID();
  await db.query(`insert into auth.users (id, email, encrypted_password) values ($1, $2, 'x')`, [
    userId,
    `${userId}@test.local`,
  ]);
  const { rows } = await db.query<{ id: string }>(
    `insert into public.organisations (name) values ('Plans') returning id`,
  );
  await db.query('insert into public.memberships (organisation_id, user_id) values ($1, $2)', [rows[0]!.id, userId]);
});

afterAll(() => db.end());

describe('row-level security', () => {
  it.each([
    ['export_jobs', 'select id from public.export_jobs order by created_at desc limit 20'],
    ['export_sources', 'select id from public.export_sources'],
    ['memberships', 'select user_id from public.memberships'],
  ])('lets an organisation index serve a user’s read of %s (membership computed once)', async (table, sql) => {
    const indexed = (await planAsUser(sql)).filter((n) => n['Index Cond']?.includes('organisation_id'));
    expect(indexed.length, `no index condition on organisation_id for ${table}`).toBeGreaterThan(0);
  });
});

describe('functions', () => {
  it('every function the migrations create has a fixed search_path', async () => {
    // Names from the migrations themselves: other tests create fixture functions in `public`.
    const dir = path.join(import.meta.dirname, '..', '..', 'supabase', 'migrations');
    const names = new Set<string>();
    for (const file of await readdir(dir)) {
      const sql = await readFile(path.join(dir, file), 'utf8');
      for (const m of sql.matchAll(/create\s+(?:or\s+replace\s+)?function\s+(public|private)\.(\w+)/gi)) {
        names.add(`${m[1]}.${m[2]}`);
      }
    }
    expect(names.size).toBeGreaterThan(40);
    const { rows } = await db.query<{ fn: string }>(
      `select p.oid::regprocedure::text as fn from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname || '.' || p.proname = any ($1)
         and not exists (select 1 from unnest(coalesce(p.proconfig, '{}')) c where c like 'search_path=%')
       order by 1`,
      [[...names]],
    );
    expect(rows).toEqual([]);
  });
});
