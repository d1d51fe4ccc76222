import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, apiFetch } from './api-fetch';

afterEach(() => vi.unstubAllGlobals());

describe('apiFetch', () => {
  it('sends JSON and returns the body', async () => {
    const fetchMock = vi.fn(async () => Response.json({ found: 12 }));
    vi.stubGlobal('fetch', fetchMock);
    await expect(apiFetch('/api/x', { method: 'POST', json: { filter: null } })).resolves.toEqual({ found: 12 });
    expect(fetchMock).toHaveBeenCalledWith(
      '/api/x',
      expect.objectContaining({
        body: '{"filter":null}',
        headers: expect.objectContaining({ 'Content-Type': 'application/json' }),
      }),
    );
  });

  it('maps the error body to an ApiError with the server message', async () => {
    vi.stubGlobal('fetch', async () =>
      Response.json(
        { error: { code: 'unprocessable', message: 'Bad filter', details: { field: 'filter' } } },
        { status: 422 },
      ),
    );
    const error = await apiFetch('/api/x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 422,
      code: 'unprocessable',
      message: 'Bad filter',
      details: { field: 'filter' },
    });
  });

  it('survives a body that is not the error shape', async () => {
    vi.stubGlobal('fetch', async () => new Response('<html>', { status: 502, statusText: 'Bad Gateway' }));
    await expect(apiFetch('/api/x')).rejects.toMatchObject({ status: 502, code: 'http_error' });
  });
});
