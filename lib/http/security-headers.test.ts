import { createHash } from 'node:crypto';
import { getScriptNonceFromHeader } from 'next/dist/server/app-render/get-script-nonce-from-header';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createNonce, securityHeaders, type SecurityHeaderOptions } from './security-headers';

const base: SecurityHeaderOptions = {
  kind: 'page',
  nonce: 'bm9uY2Utb2YtdGhpcy10ZXN0',
  supabaseUrl: 'https://abcdefgh.supabase.co',
  environment: 'production',
};

/** `{ 'script-src': ["'self'", …], … }` of a policy. */
function directives(policy: string): Record<string, string[]> {
  return Object.fromEntries(
    policy.split(';').map((directive) => {
      const [name = '', ...sources] = directive.trim().split(/\s+/);
      return [name, sources];
    }),
  );
}

const pagePolicy = (options: Partial<SecurityHeaderOptions> = {}) =>
  directives(securityHeaders({ ...base, ...options })['Content-Security-Policy']);

describe('page Content-Security-Policy', () => {
  it('runs only scripts with the nonce, and what they load', () => {
    expect(pagePolicy()['script-src']).toEqual(["'self'", `'nonce-${base.nonce}'`, "'strict-dynamic'"]);
  });

  it('is where Next.js finds the nonce for its own scripts', () => {
    const policy = securityHeaders(base)['Content-Security-Policy'];
    expect(getScriptNonceFromHeader(policy)).toBe(base.nonce);
  });

  it("allows eval only in development, where React's dev tooling needs it", () => {
    expect(pagePolicy({ environment: 'development' })['script-src']).toContain("'unsafe-eval'");
    expect(pagePolicy({ environment: 'production' })['script-src']).not.toContain("'unsafe-eval'");
    expect(pagePolicy({ environment: 'test' })['script-src']).not.toContain("'unsafe-eval'");
  });

  it('never allows inline script, in development either', () => {
    for (const environment of ['development', 'production']) {
      expect(pagePolicy({ environment })['script-src']).not.toContain("'unsafe-inline'");
      expect(pagePolicy({ environment })['default-src']).toEqual(["'self'"]);
    }
  });

  it('allows <style> elements only with the nonce or a known hash in production; attributes are allowed', () => {
    const policy = pagePolicy({ environment: 'production' });
    expect(policy['style-src']).not.toContain("'unsafe-inline'");
    expect(policy['style-src']).toContain(`'nonce-${base.nonce}'`);
    expect(policy['style-src-attr']).toEqual(["'unsafe-inline'"]);
    expect(securityHeaders(base)).not.toHaveProperty('Content-Security-Policy-Report-Only');
  });

  it("lets next dev's tools insert styles, and reports what production would refuse", () => {
    const headers = securityHeaders({ ...base, environment: 'development' });
    expect(directives(headers['Content-Security-Policy'])['style-src']).toEqual(["'self'", "'unsafe-inline'"]);
    const production = securityHeaders(base)['Content-Security-Policy'];
    const reported = headers['Content-Security-Policy-Report-Only']!;
    expect(Object.entries(directives(reported))).toEqual(
      Object.entries(directives(production)).filter(([name]) => name.startsWith('style-src')),
    );
  });

  it('connects only to our origin and Supabase, its Realtime websocket on the same host', () => {
    expect(pagePolicy()['connect-src']).toEqual([
      "'self'",
      'https://abcdefgh.supabase.co',
      'wss://abcdefgh.supabase.co',
    ]);
    expect(pagePolicy({ supabaseUrl: 'http://127.0.0.1:54321' })['connect-src']).toEqual([
      "'self'",
      'http://127.0.0.1:54321',
      'ws://127.0.0.1:54321',
    ]);
  });

  it('cannot be framed, and allows no plugins, base rewrites or foreign form targets', () => {
    const policy = pagePolicy();
    expect(policy['frame-ancestors']).toEqual(["'none'"]);
    expect(policy['object-src']).toEqual(["'none'"]);
    expect(policy['base-uri']).toEqual(["'none'"]);
    expect(policy['form-action']).toEqual(["'self'"]);
  });

  describe('with sonner loaded', () => {
    afterEach(() => {
      vi.unstubAllGlobals();
      vi.resetModules();
    });

    it('allows the one stylesheet sonner inserts, by its hash', async () => {
      // sonner inserts its CSS when it is first imported in a browser: catch the text it inserts.
      const inserted: string[] = [];
      vi.stubGlobal('document', {
        head: { appendChild: () => undefined },
        createElement: () => ({ appendChild: (node: { text: string }) => inserted.push(node.text) }),
        createTextNode: (text: string) => ({ text }),
      });
      vi.resetModules();
      await import('sonner');
      expect(inserted).toHaveLength(1);
      const hash = createHash('sha256').update(inserted[0]!).digest('base64');
      expect(pagePolicy()['style-src']).toContain(`'sha256-${hash}'`);
    });
  });
});

describe('API Content-Security-Policy', () => {
  it('lets nothing load or run, and nobody frame it', () => {
    const policy = directives(securityHeaders({ ...base, kind: 'api' })['Content-Security-Policy']);
    expect(policy['default-src']).toEqual(["'none'"]);
    expect(policy['frame-ancestors']).toEqual(["'none'"]);
  });
});

describe('security headers', () => {
  it.each(['page', 'api'] as const)('%s responses refuse framing, sniffing and full referrers', (kind) => {
    const headers = securityHeaders({ ...base, kind });
    expect(headers['X-Frame-Options']).toBe('DENY');
    expect(headers['X-Content-Type-Options']).toBe('nosniff');
    expect(headers['Referrer-Policy']).toBe('strict-origin-when-cross-origin');
  });

  it('denies powerful features, except writing to the clipboard from our own origin', () => {
    const features = securityHeaders(base)['Permissions-Policy']!.split(', ');
    expect(features).toContain('camera=()');
    expect(features).toContain('microphone=()');
    expect(features).toContain('geolocation=()');
    expect(features).toContain('clipboard-write=(self)');
    expect(features.filter((feature) => !feature.endsWith('=()'))).toEqual(['clipboard-write=(self)']);
  });

  it('sends HSTS in production only', () => {
    expect(securityHeaders({ ...base, environment: 'production' })['Strict-Transport-Security']).toBe(
      'max-age=63072000; includeSubDomains',
    );
    expect(securityHeaders({ ...base, environment: 'development' })).not.toHaveProperty('Strict-Transport-Security');
  });
});

describe('createNonce', () => {
  it('is 128 random bits in the base64 Next.js accepts, new every time', () => {
    const nonce = createNonce();
    expect(nonce).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(createNonce()).not.toBe(nonce);
  });
});
