import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { testStack } from './stack-info';

describe('devstack', () => {
  const stack = testStack();
  const db = new pg.Pool({ connectionString: stack.pgConnectionString, max: 2 });
  afterAll(() => db.end());

  it('creates the Supabase API roles and auth helpers before the migrations', async () => {
    const roles = await db.query<{ rolname: string; rolbypassrls: boolean }>(
      "select rolname, rolbypassrls from pg_roles where rolname in ('anon','authenticated','service_role') order by rolname",
    );
    expect(roles.rows).toEqual([
      { rolname: 'anon', rolbypassrls: false },
      { rolname: 'authenticated', rolbypassrls: false },
      { rolname: 'service_role', rolbypassrls: true },
    ]);
    const client = await db.connect();
    try {
      await client.query('begin');
      await client.query(
        'select set_config(\'request.jwt.claims\', \'{"sub":"6f1b0d1e-6a43-4a8e-9d8a-2f7f1b1c0a11","role":"authenticated"}\', true)',
      );
      const uid = await client.query<{ uid: string; role: string }>('select auth.uid() as uid, auth.role() as role');
      expect(uid.rows[0]).toEqual({ uid: '6f1b0d1e-6a43-4a8e-9d8a-2f7f1b1c0a11', role: 'authenticated' });
      await client.query('rollback');
    } finally {
      client.release();
    }
  });

  it('records every migration file it applied', async () => {
    const { rows } = await db.query<{ version: string }>('select version from supabase_migrations.schema_migrations');
    const { readdir } = await import('node:fs/promises');
    const files = (await readdir('supabase/migrations')).filter((f) => f.endsWith('.sql'));
    expect(rows.map((r) => r.version).sort()).toEqual(files.map((f) => f.split('_')[0]).sort());
  });

  it('changes fault injection only through a validated admin call', async () => {
    const url = `${stack.apiUrl}/_devstack/faults`;
    const bad = await fetch(url, { method: 'PUT', body: JSON.stringify({ storage: { errorRate: 2 } }) });
    expect(bad.status).toBe(400);
    const ok = await fetch(url, { method: 'PUT', body: JSON.stringify({ typesense: { latencyMs: 5 } }) });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { typesense: { latencyMs: number } }).typesense.latencyMs).toBe(5);
    await fetch(url, { method: 'DELETE' });
  });
});
