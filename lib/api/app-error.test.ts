import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { AppError, errorResponse } from './app-error';
import { parseUuidParam } from './path-params';

describe('errorResponse', () => {
  it('maps each AppError code to its status with the message a person can act on', async () => {
    const res = errorResponse(new AppError('not_found', 'Export x was not found.'));
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'Export x was not found.' } });
    expect(errorResponse(new AppError('conflict', 'still running')).status).toBe(409);
    expect(errorResponse(new AppError('unprocessable', 'bad filter')).status).toBe(422);
    expect(errorResponse(new AppError('unauthenticated', 'sign in')).status).toBe(401);
  });

  it('says when to come back on a 429', async () => {
    const res = errorResponse(new AppError('too_many_requests', 'slow down', { retryAfterSeconds: 17 }));
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('17');
  });

  it('turns a zod error into a 422 naming the field', async () => {
    const parsed = z.object({ format: z.enum(['csv', 'ndjson']) }).safeParse({ format: 'xlsx' });
    const res = errorResponse(parsed.error);
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('validation_failed');
    expect(body.error.message).toMatch(/^format: /);
  });

  it('hides anything else behind a generic 500 and logs it', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {});
    const res = errorResponse(new Error('connection string with password'));
    expect(res.status).toBe(500);
    expect(JSON.stringify(await res.json())).not.toContain('password');
    expect(log).toHaveBeenCalled();
    log.mockRestore();
  });
});

describe('parseUuidParam', () => {
  it('accepts a uuid and refuses anything else with a 400 that names the parameter', () => {
    expect(parseUuidParam('0b5e6a9e-0000-4000-a000-000000000001', 'export id')).toBe(
      '0b5e6a9e-0000-4000-a000-000000000001',
    );
    expect(() => parseUuidParam('../etc/passwd', 'export id')).toThrow(/export id must be a UUID/);
    const thrown = (() => {
      try {
        parseUuidParam('42', 'export id');
      } catch (error) {
        return error;
      }
    })();
    expect(thrown).toBeInstanceOf(AppError);
    expect(errorResponse(thrown).status).toBe(400);
  });
});
