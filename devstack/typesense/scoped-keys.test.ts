import Typesense from 'typesense';
import { describe, expect, it } from 'vitest';
import { ApiKeyStore } from './api-keys';
import { applyEmbeddedParams, verifyScopedKey } from './scoped-keys';

/** Scoped keys as the official client makes them (`keys().generateScopedSearchKey`), checked as Typesense does. */
const client = new Typesense.Client({ nodes: [{ host: '127.0.0.1', port: 1, protocol: 'http' }], apiKey: 'x' });
const scoped = (parent: string, params: Record<string, unknown>) =>
  client.keys().generateScopedSearchKey(parent, params);

const NOW = 1_800_000_000;

function store() {
  const keys = new ApiKeyStore('bootstrap-key');
  keys.create({ description: 's', value: 'srch-only', actions: ['documents:search'], collections: ['posts', 'p_.*'] });
  keys.create({
    description: 'w',
    value: 'wide-key',
    actions: ['documents:search', 'documents:export'],
    collections: ['*'],
  });
  keys.create({
    description: 'e',
    value: 'gone-key',
    actions: ['documents:search'],
    collections: ['*'],
    expires_at: NOW - 1,
  });
  return keys;
}

/** A key's payload re-encoded after `edit` (digest, prefix and params kept apart). */
function tamper(key: string, edit: (parts: { digest: string; prefix: string; params: string }) => string): string {
  const payload = Buffer.from(key, 'base64').toString('utf8');
  const parts = { digest: payload.slice(0, 44), prefix: payload.slice(44, 48), params: payload.slice(48) };
  return Buffer.from(edit(parts)).toString('base64');
}

describe('verifyScopedKey', () => {
  const verify = (key: string, collection = 'posts', action = 'documents:search') =>
    verifyScopedKey(store(), key, action, collection, NOW);

  it('accepts a key signed by a search-only parent, on a collection the parent allows, and reads its params', () => {
    const key = scoped('srch-only', { filter_by: 'portal_id:=1', expires_at: NOW + 60 });
    expect(verify(key)).toEqual({ filter_by: 'portal_id:=1', expires_at: NOW + 60 });
    expect(verify(key, 'p_2024')).toEqual({ filter_by: 'portal_id:=1', expires_at: NOW + 60 });
  });

  it('refuses a tampered digest, tampered params and an unknown parent prefix', () => {
    const key = scoped('srch-only', { filter_by: 'portal_id:=1' });
    expect(verify(tamper(key, (p) => `${p.digest.slice(0, 43)}A${p.prefix}${p.params}`))).toBeUndefined();
    expect(verify(tamper(key, (p) => `${p.digest}${p.prefix}{"filter_by":"portal_id:=2"}`))).toBeUndefined();
    expect(verify(tamper(key, (p) => `${p.digest}${p.prefix}{}`))).toBeUndefined();
    expect(verify(tamper(key, (p) => `${p.digest}nope${p.params}`))).toBeUndefined();
    expect(verify(scoped('some-other-key', { filter_by: 'portal_id:=1' }))).toBeUndefined();
    expect(verify('short')).toBeUndefined();
  });

  it('refuses a parent that allows more than searching, the bootstrap key, and a collection the parent does not allow', () => {
    expect(verify(scoped('wide-key', { filter_by: 'portal_id:=1' }))).toBeUndefined();
    expect(verify(scoped('bootstrap-key', { filter_by: 'portal_id:=1' }))).toBeUndefined();
    expect(verify(scoped('srch-only', { filter_by: 'portal_id:=1' }), 'other')).toBeUndefined();
  });

  it('is good for searches only', () => {
    expect(verify(scoped('srch-only', {}), 'posts', 'documents:export')).toBeUndefined();
  });

  it('refuses a key past its expires_at, or past its parent’s, or with an expires_at that is not a whole number', () => {
    expect(verify(scoped('srch-only', { expires_at: NOW - 1 }))).toBeUndefined();
    expect(verify(scoped('srch-only', { expires_at: 1.5 }))).toBeUndefined();
    expect(verify(scoped('gone-key', { expires_at: NOW + 60 }))).toBeUndefined();
    expect(verify(scoped('srch-only', { expires_at: NOW }))).toEqual({ expires_at: NOW });
  });
});

describe('applyEmbeddedParams', () => {
  it('ANDs the embedded filter after the request’s, so the request cannot widen it', () => {
    expect(applyEmbeddedParams({ filter_by: 'a:=1) || (b:=2' }, { filter_by: 'portal_id:=1' })).toEqual({
      filter_by: '(a:=1) || (b:=2) && (portal_id:=1)',
    });
    expect(applyEmbeddedParams({ q: '*' }, { filter_by: 'portal_id:=1' })).toEqual({
      q: '*',
      filter_by: 'portal_id:=1',
    });
    expect(applyEmbeddedParams({ filter_by: '' }, { filter_by: 'portal_id:=1' })).toEqual({
      filter_by: '(portal_id:=1)',
    });
  });

  it('lets every other embedded parameter win over the request’s, and drops expires_at', () => {
    expect(
      applyEmbeddedParams(
        { per_page: '250', include_fields: 'body', q: '*' },
        { per_page: 5, include_fields: 'id,title', exhaustive_search: true, expires_at: NOW, nested: { a: 1 } },
      ),
    ).toEqual({ per_page: '5', include_fields: 'id,title', exhaustive_search: 'true', q: '*' });
  });
});
