import { afterEach, describe, expect, it, vi } from 'vitest';
import { handleRoute } from './route-handler';

const SITE = 'http://127.0.0.1:3000';

function post(headers: Record<string, string>, body = '{}'): Request {
  return new Request(`${SITE}/api/exports`, { method: 'POST', headers: { host: '127.0.0.1:3000', ...headers }, body });
}

async function status(request: Request): Promise<{ status: number; called: boolean; message: string }> {
  const handler = vi.fn(async () => Response.json({ ok: true }, { status: 201 }));
  const response = await handleRoute(handler)(request, {});
  const body = (await response.json()) as { error?: { message: string } };
  return { status: response.status, called: handler.mock.calls.length > 0, message: body.error?.message ?? '' };
}

describe('state-changing routes refuse what a cross-site page could send', () => {
  it.each([
    ['text/plain', 'text/plain;charset=UTF-8'],
    ['a form', 'application/x-www-form-urlencoded'],
    ['multipart', 'multipart/form-data; boundary=x'],
  ])('refuses %s bodies with 415, before the handler runs', async (_name, contentType) => {
    const result = await status(post({ 'content-type': contentType }));
    expect(result).toMatchObject({ status: 415, called: false });
    expect(result.message).toMatch(/Content-Type: application\/json/);
  });

  it('refuses a POST without a content type', async () => {
    expect(await status(post({}, ''))).toMatchObject({ status: 415, called: false });
  });

  it('refuses JSON from another origin with 403', async () => {
    const result = await status(post({ 'content-type': 'application/json', origin: 'https://evil.example' }));
    expect(result).toMatchObject({ status: 403, called: false });
  });

  it('refuses a request the browser marks cross-site', async () => {
    const result = await status(post({ 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' }));
    expect(result).toMatchObject({ status: 403, called: false });
  });

  it('accepts JSON from the dashboard itself, and from scripts that send no Origin', async () => {
    expect(await status(post({ 'content-type': 'application/json', origin: SITE }))).toMatchObject({
      status: 201,
      called: true,
    });
    expect(await status(post({ 'content-type': 'application/json; charset=utf-8' }))).toMatchObject({
      status: 201,
      called: true,
    });
  });

  it('does not let a client name the site with forwarded headers', async () => {
    const request = post({
      'content-type': 'application/json',
      origin: 'https://evil.example',
      'x-forwarded-host': 'evil.example',
      'x-forwarded-proto': 'https',
    });
    expect(await status(request)).toMatchObject({ status: 403, called: false });
  });

  describe('behind a proxy, with BATON_PUBLIC_ORIGIN', () => {
    afterEach(() => {
      vi.unstubAllEnvs();
    });

    it("accepts the public origin's requests and no other, whatever the Host the proxy sent", async () => {
      vi.stubEnv('BATON_PUBLIC_ORIGIN', 'https://baton.example.com/');
      const fromSite = post({ 'content-type': 'application/json', origin: 'https://baton.example.com' });
      expect(await status(fromSite)).toMatchObject({ status: 201, called: true });
      const fromHost = post({ 'content-type': 'application/json', origin: SITE });
      expect(await status(fromHost)).toMatchObject({ status: 403, called: false });
    });

    it('fails loudly on a value that is not an http(s) origin', async () => {
      vi.stubEnv('BATON_PUBLIC_ORIGIN', 'baton.example.com');
      const result = await status(post({ 'content-type': 'application/json', origin: SITE }));
      expect(result).toMatchObject({ status: 500, called: false });
    });
  });

  it('leaves reads alone', async () => {
    const handler = vi.fn(async () => Response.json([]));
    const response = await handleRoute(handler)(
      new Request(`${SITE}/api/exports`, { headers: { origin: 'https://evil.example' } }),
      {},
    );
    expect(response.status).toBe(200);
  });
});
