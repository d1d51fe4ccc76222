import { describe, expect, it } from 'vitest';
import { fromPgError, pgErrorStatus } from './errors';

describe('pgErrorStatus (PostgREST mapSQLtoHTTP)', () => {
  it('maps the SQLSTATEs the app meets', () => {
    expect(pgErrorStatus('23505', '', true)).toBe(409);
    expect(pgErrorStatus('23503', '', true)).toBe(409);
    expect(pgErrorStatus('23502', '', true)).toBe(400);
    expect(pgErrorStatus('42501', '', true)).toBe(403);
    expect(pgErrorStatus('42501', '', false)).toBe(401);
    expect(pgErrorStatus('P0001', '', true)).toBe(400);
    expect(pgErrorStatus('P0002', '', true)).toBe(500);
    expect(pgErrorStatus('22P02', '', true)).toBe(400);
    expect(pgErrorStatus('25006', '', true)).toBe(405);
    expect(pgErrorStatus('42883', 'operator does not exist', true)).toBe(404);
    expect(pgErrorStatus('42P01', '', true)).toBe(404);
    expect(pgErrorStatus('57014', 'canceling statement due to statement timeout', true)).toBe(500);
    expect(pgErrorStatus('08006', '', true)).toBe(503);
    expect(pgErrorStatus('22023', 'role "x" does not exist', true)).toBe(401);
    expect(pgErrorStatus('PT418', '', true)).toBe(418);
    expect(pgErrorStatus('PTabc', '', true)).toBe(500);
  });
});

describe('fromPgError', () => {
  it('keeps Postgres message, detail and hint in the PostgREST body', () => {
    const error = fromPgError(
      { code: '23505', message: 'duplicate key', detail: 'Key (id)=(1) already exists.' },
      true,
    );
    expect(error.status).toBe(409);
    expect(error.body).toEqual({
      code: '23505',
      message: 'duplicate key',
      details: 'Key (id)=(1) already exists.',
      hint: null,
    });
  });

  it('adds WWW-Authenticate to 401s', () => {
    expect(fromPgError({ code: '42501', message: 'permission denied' }, false).headers).toEqual({
      'WWW-Authenticate': 'Bearer',
    });
  });

  it("gives RAISE SQLSTATE 'PGRST' full control of status, headers and body", () => {
    const error = fromPgError(
      {
        code: 'PGRST',
        message: '{"code":"123","message":"Payment Required","details":"Quota exceeded"}',
        detail: '{"status":402,"headers":{"X-Powered-By":"Nerd Rage"}}',
      },
      true,
    );
    expect(error.status).toBe(402);
    expect(error.headers).toEqual({ 'X-Powered-By': 'Nerd Rage' });
    expect(error.body).toEqual({ code: '123', message: 'Payment Required', details: 'Quota exceeded', hint: null });
    expect(fromPgError({ code: 'PGRST', message: 'not json' }, true).body.code).toBe('PGRST121');
  });
});
