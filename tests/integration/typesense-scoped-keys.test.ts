import Typesense from 'typesense';
import { beforeAll, describe, expect, it } from 'vitest';
import { testStack } from './stack-info';

/**
 * Scoped search keys on the Typesense stand-in, through the official client as the app and the worker
 * use them: the key's embedded filter is ANDed with whatever filter the request sends, its other
 * parameters win, and a key that is tampered with, expired, or derived from a parent that may do more
 * than search is Typesense's 401.
 */
const stack = testStack();
const url = new URL(stack.typesenseUrl);
const COLLECTION = 'scoped_key_posts';
const OTHER_COLLECTION = 'scoped_key_other';
const UNAUTHORIZED = 'Forbidden - a valid `x-typesense-api-key` header must be sent.';

function client(apiKey: string) {
  return new Typesense.Client({
    nodes: [{ host: url.hostname, port: Number(url.port), protocol: 'http' }],
    apiKey,
    numRetries: 0,
    connectionTimeoutSeconds: 30,
    logLevel: 'silent',
  });
}
const admin = client(stack.typesenseApiKey);
const scopedKey = (parent: string, params: Record<string, unknown>) =>
  admin.keys().generateScopedSearchKey(parent, params);
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

type Post = { id: string; n: number; portal_id: number; state: string };
/** Portal 1 holds n = 1–6, portal 2 n = 7–12. */
const posts: Post[] = Array.from({ length: 12 }, (_, i) => ({
  id: String(i + 1),
  n: i + 1,
  portal_id: i < 6 ? 1 : 2,
  state: i % 2 === 0 ? 'DRAFT' : 'PUBLISHED',
}));

async function search(apiKey: string, params: Record<string, unknown>, collection = COLLECTION) {
  const result = await client(apiKey)
    .collections<Post>(collection)
    .documents()
    .search({ q: '*', sort_by: 'n:asc', per_page: 250, ...params });
  return (result.hits ?? []).map((hit) => hit.document);
}

async function refusal(apiKey: string, collection = COLLECTION) {
  try {
    await search(apiKey, {}, collection);
  } catch (error) {
    const e = error as Error & { httpStatus?: number };
    return { status: e.httpStatus, message: e.message };
  }
  throw new Error('expected a 401');
}

/** The key's base64 payload, edited: `<44-char digest><4-char prefix><params JSON>`. */
function tamper(key: string, edit: (parts: { digest: string; prefix: string; params: string }) => string): string {
  const payload = Buffer.from(key, 'base64').toString('utf8');
  return Buffer.from(
    edit({ digest: payload.slice(0, 44), prefix: payload.slice(44, 48), params: payload.slice(48) }),
  ).toString('base64');
}

beforeAll(async () => {
  for (const name of [COLLECTION, OTHER_COLLECTION]) {
    await admin
      .collections(name)
      .delete()
      .catch(() => undefined);
    await admin.collections().create({
      name,
      fields: [
        { name: 'n', type: 'int32' },
        { name: 'portal_id', type: 'int32' },
        { name: 'state', type: 'string' },
      ],
    });
    await admin.collections(name).documents().import(posts, { action: 'create' });
  }
});

describe('scoped search keys', () => {
  it('searches with the embedded filter', async () => {
    const key = scopedKey(stack.typesenseSearchKey, { filter_by: 'portal_id:=1', expires_at: inAnHour() });
    expect((await search(key, {})).map((p) => p.n)).toEqual([1, 2, 3, 4, 5, 6]);
    expect((await search(key, { filter_by: 'state:=DRAFT' })).map((p) => p.n)).toEqual([1, 3, 5]);
  });

  it('ANDs the embedded filter with a request filter that tries to widen it', async () => {
    const key = scopedKey(stack.typesenseSearchKey, { filter_by: 'portal_id:=1' });
    // Composed as `(portal_id:=1) && (<filter>)`, this filter reads every record of portal 2 too.
    const widening = 'state:=DRAFT) || (portal_id:=2';
    expect((await search(stack.typesenseSearchKey, { filter_by: `(portal_id:=1) && (${widening})` })).length).toBe(9);
    // Under the key it is `(<filter>) && (portal_id:=1)`: portal 1's drafts only.
    expect((await search(key, { filter_by: widening })).map((p) => p.n)).toEqual([1, 3, 5]);
    expect((await search(key, { filter_by: 'portal_id:=2' })).map((p) => p.n)).toEqual([]);
  });

  it('lets embedded parameters win over the request’s', async () => {
    const key = scopedKey(stack.typesenseSearchKey, { filter_by: 'portal_id:=2', per_page: 2, include_fields: 'n' });
    const hits = await search(key, { per_page: 250, include_fields: 'n,state,portal_id' });
    expect(hits).toEqual([{ n: 7 }, { n: 8 }]);
  });

  it('refuses a tampered digest, tampered params, and an unknown parent prefix with Typesense’s 401', async () => {
    const key = scopedKey(stack.typesenseSearchKey, { filter_by: 'portal_id:=1' });
    const flipped = tamper(key, (p) => `${p.digest[0] === 'A' ? 'B' : 'A'}${p.digest.slice(1)}${p.prefix}${p.params}`);
    const widened = tamper(key, (p) => `${p.digest}${p.prefix}{"filter_by":"portal_id:[1,2]"}`);
    const unknown = scopedKey('no-such-parent-key', { filter_by: 'portal_id:=1' });
    for (const bad of [flipped, widened, unknown]) {
      expect(await refusal(bad)).toEqual({ status: 401, message: expect.stringContaining(UNAUTHORIZED) as string });
    }
  });

  it('refuses an expired key', async () => {
    const key = scopedKey(stack.typesenseSearchKey, {
      filter_by: 'portal_id:=1',
      expires_at: Math.floor(Date.now() / 1000) - 60,
    });
    expect((await refusal(key)).status).toBe(401);
  });

  it('refuses a key derived from a parent that may do more than search, or not on this collection', async () => {
    const wide = await admin.keys().create({
      description: 'search and export',
      actions: ['documents:search', 'documents:export'],
      collections: ['*'],
    });
    const elsewhere = await admin.keys().create({
      description: 'search elsewhere',
      actions: ['documents:search'],
      collections: [OTHER_COLLECTION],
    });
    expect((await refusal(scopedKey(wide.value!, { filter_by: 'portal_id:=1' }))).status).toBe(401);
    expect((await refusal(scopedKey(stack.typesenseApiKey, { filter_by: 'portal_id:=1' }))).status).toBe(401);
    const elsewhereKey = scopedKey(elsewhere.value!, { filter_by: 'portal_id:=1' });
    expect((await refusal(elsewhereKey)).status).toBe(401);
    expect((await search(elsewhereKey, {}, OTHER_COLLECTION)).map((p) => p.n)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('is good for searches only; the search-only key itself cannot read a schema', async () => {
    const key = scopedKey(stack.typesenseSearchKey, { filter_by: 'portal_id:=1' });
    await expect(client(key).collections(COLLECTION).documents().export()).rejects.toMatchObject({ httpStatus: 401 });
    await expect(client(stack.typesenseSearchKey).collections(COLLECTION).retrieve()).rejects.toMatchObject({
      httpStatus: 401,
    });
    expect((await search(stack.typesenseSearchKey, {})).length).toBe(12);
  });
});
