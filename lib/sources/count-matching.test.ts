import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { typesenseAccess } from '@/lib/typesense/client';
import { countMatching } from './count-matching';
import type { ExportSource } from './types';

/**
 * What the estimate (and the start of an export) says when Typesense answers, and how it asks: the
 * official client against a server that answers every search with the status under test.
 */
let server: Server;
let status = 200;
let lastRequest: { apiKey: string; filterBy: string | null } | undefined;
const source: ExportSource = {
  id: '00000000-0000-4000-8000-000000000001',
  organisation_id: '00000000-0000-4000-8000-000000000002',
  collection: 'posts',
  label: 'Posts',
  key_field: 'hs_object_id',
  mandatory_filter: 'portal_id:=1',
};

beforeAll(async () => {
  server = createServer((req, res) => {
    lastRequest = {
      apiKey: String(req.headers['x-typesense-api-key']),
      filterBy: new URL(req.url ?? '/', 'http://x').searchParams.get('filter_by'),
    };
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(status === 200 ? { found: 7, hits: [] } : { message: `Answer ${status}` }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function client() {
  const { port } = server.address() as AddressInfo;
  return typesenseAccess({ url: `http://127.0.0.1:${port}`, apiKey: 'key', searchKey: 'search-only-key' });
}

/** The params a scoped key embeds (its base64 payload: 44-character digest, 4-character prefix, JSON). */
function embeddedParams(scopedKey: string): { prefix: string; params: unknown } {
  const payload = Buffer.from(scopedKey, 'base64').toString('utf8');
  return { prefix: payload.slice(44, 48), params: JSON.parse(payload.slice(48)) };
}

describe('countMatching', () => {
  it('answers found', async () => {
    status = 200;
    await expect(countMatching(client(), source, 'state:=DRAFT')).resolves.toBe(7);
  });

  it('searches under a key scoped to the mandatory filter, which the request’s filter leaves out', async () => {
    status = 200;
    await countMatching(client(), source, 'state:=DRAFT');
    expect(lastRequest?.filterBy).toBe('(state:=DRAFT)');
    expect(embeddedParams(lastRequest!.apiKey)).toEqual({
      prefix: 'sear',
      params: { filter_by: 'portal_id:=1', expires_at: expect.any(Number) as number },
    });
  });

  it('passes a refused filter on as a 422 with Typesense’s message', async () => {
    status = 400;
    await expect(countMatching(client(), source, 'state:=DRAFT')).rejects.toMatchObject({
      code: 'unprocessable',
      message: 'The filter is not valid: Answer 400',
    });
  });

  it.each([408, 429, 503])('%i is the search service being unavailable, never an invalid filter', async (s) => {
    status = s;
    await expect(countMatching(client(), source, 'state:=DRAFT')).rejects.toMatchObject({
      code: 'upstream_unavailable',
    });
  });

  it('refuses a valid filter over Typesense’s 100-token cap with a message a person can act on', async () => {
    status = 200;
    const filter = Array.from({ length: 72 }, (_, i) => `state:=S${i}`).join(' || ');
    await expect(countMatching(client(), source, filter)).rejects.toMatchObject({
      code: 'unprocessable',
      message: expect.stringContaining('The filter has 143 terms') as string,
      details: { field: 'filter' },
    });
  });
});
