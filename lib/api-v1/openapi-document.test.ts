import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from './openapi-document';

const root = path.resolve(import.meta.dirname, '../..');
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(path.join(root, dir), { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.relative(root, path.join(e.parentPath, e.name)));
}

/** `app/api/v1/exports/[id]/route.ts` → `/api/v1/exports/{id}`. */
function urlPath(file: string, prefix: string, suffix: RegExp): string {
  return ('/' + path.relative(prefix, file).replace(suffix, ''))
    .replace(/\/$/, '')
    .replace(/\[([^\]]+)\]/g, '{$1}')
    .replace(/^\//, '/api/v1/');
}

/** Every operation the code serves: app routes by their exported methods, Pages routes by their Allow list. */
async function servedOperations(): Promise<string[]> {
  const operations: string[] = [];
  for (const file of (await filesUnder('app/api/v1')).filter((f) => f.endsWith('/route.ts'))) {
    const source = await readFile(path.join(root, file), 'utf8');
    const exported = METHODS.filter((m) => new RegExp(`export (const|async function|function) ${m}\\b`).test(source));
    expect(exported.length, `${file} exports no method`).toBeGreaterThan(0);
    for (const method of exported) operations.push(`${method} ${urlPath(file, 'app/api/v1', /\/route\.ts$/)}`);
  }
  for (const file of (await filesUnder('pages/api/v1')).filter((f) => f.endsWith('.ts'))) {
    const source = await readFile(path.join(root, file), 'utf8');
    const allow = /Allow: '([A-Z, ]+)'/.exec(source)?.[1];
    expect(allow, `${file} names the methods it allows`).toBeDefined();
    for (const method of allow!.split(', ')) operations.push(`${method} ${urlPath(file, 'pages/api/v1', /\.ts$/)}`);
  }
  return operations.sort();
}

describe('the OpenAPI document of the REST API v1', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const document = openApiDocument();
    expect(document.openapi).toBe('3.1.0');
    const result = await new Validator().validate(
      structuredClone(document) as unknown as Parameters<Validator['validate']>[0],
    );
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('describes every route under app/api/v1 and pages/api/v1, and nothing else', async () => {
    const documented = Object.entries(openApiDocument().paths ?? {})
      .flatMap(([url, item]) =>
        Object.keys(item ?? {})
          .filter((key) => METHODS.includes(key.toUpperCase() as (typeof METHODS)[number]))
          .map((method) => `${method.toUpperCase()} ${url}`),
      )
      .sort();
    expect(documented).toEqual(await servedOperations());
  });

  it('every operation but the document itself names the scope it needs and answers problems as problem+json', () => {
    for (const [url, item] of Object.entries(openApiDocument().paths ?? {})) {
      for (const [method, operation] of Object.entries(item ?? {})) {
        if (url === '/api/v1/openapi.json' || typeof operation !== 'object' || !('responses' in operation)) continue;
        expect(operation.security, `${method} ${url}`).toHaveLength(1);
        for (const [status, response] of Object.entries(operation.responses ?? {})) {
          if (Number(status) < 400) continue;
          expect(Object.keys((response as { content: object }).content), `${method} ${url} ${status}`).toEqual([
            'application/problem+json',
          ]);
        }
      }
    }
  });
});
