import { describe, expect, it } from 'vitest';
import { renameExportInput } from '@/lib/exports/rename-export';
import { startExportInput } from '@/lib/exports/start-export';
import { parseJsonBody } from './parse-json-body';
import { handleRoute } from './route-handler';

const SITE = 'http://127.0.0.1:3000';

/** A JSON route as the app has them: the body parsed with the route's schema, errors mapped once. */
async function answer(
  schema: typeof renameExportInput | typeof startExportInput,
  body: string | Uint8Array<ArrayBuffer>,
) {
  const route = handleRoute(async (request) => Response.json(await parseJsonBody(request, schema)));
  const response = await route(
    new Request(`${SITE}/api/exports/x`, {
      method: 'PATCH',
      headers: { host: '127.0.0.1:3000', 'content-type': 'application/json' },
      body,
    }),
    {},
  );
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('parseJsonBody', () => {
  it('ignores a byte-order mark before the JSON text (RFC 8259 §8.1 lets a parser ignore it), on every JSON route', async () => {
    const withBom = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('{"name":"Weekly"}')]);
    expect(await answer(renameExportInput, withBom)).toEqual({ status: 200, body: { name: 'Weekly' } });
  });

  it('refuses a second byte-order mark, or one inside the text, as invalid JSON', async () => {
    const result = await answer(renameExportInput, '\uFEFF\uFEFF{"name":"Weekly"}');
    expect(result.status).toBe(400);
    expect(result.body).toMatchObject({ error: { message: 'The request body is not valid JSON.' } });
  });

  it('refuses bytes that are not UTF-8 instead of replacing them', async () => {
    const latin1 = new Uint8Array([
      ...new TextEncoder().encode('{"name":"Caf'),
      0xe9,
      ...new TextEncoder().encode('"}'),
    ]);
    const result = await answer(renameExportInput, latin1);
    expect(result.status).toBe(400);
    expect(result.body).toMatchObject({ error: { message: expect.stringMatching(/not valid UTF-8/) } });
  });

  it.each([
    ['an export name', renameExportInput, { name: 'Weekly\u0000' }, /^name: The name contains the NUL character/],
    [
      'a field name',
      startExportInput,
      { sourceId: '00000000-0000-4000-8000-000000000001', format: 'csv', fields: ['title\u0000'] },
      /^fields\.0: A field name contains the NUL character/,
    ],
    [
      'a filter',
      startExportInput,
      { sourceId: '00000000-0000-4000-8000-000000000001', format: 'csv', filter: 'a:=1\u0000' },
      /^filter: The filter contains the NUL character/,
    ],
  ] as const)(
    'refuses %s with a NUL character as a validation error, not a 500',
    async (_what, schema, body, message) => {
      const result = await answer(schema, JSON.stringify(body));
      expect(result.status).toBe(422);
      expect((result.body.error as { message: string }).message).toMatch(message);
    },
  );
});
