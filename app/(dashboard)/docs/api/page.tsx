import type { Metadata } from 'next';
import { OperationSection } from '@/components/api-docs/operation-section';
import { readOperations } from '@/components/api-docs/read-operations';
import { openApiDocument } from '@/lib/api-v1/openapi-document';
import { PROBLEM_TYPES, problemTitle } from '@/lib/api-v1/problem-response';

export const metadata: Metadata = { title: 'REST API — Baton' };

/**
 * The REST API v1 reference, rendered on the server from the same OpenAPI document /api/v1/openapi.json
 * serves; problem types have anchors here (`type` of every problem+json answer links to them).
 */
export default function ApiDocsPage() {
  const document = openApiDocument();
  return (
    <article className="mx-auto flex max-w-3xl flex-col gap-6">
      <header className="flex flex-col gap-2">
        <h1 className="text-2xl font-semibold">REST API v1</h1>
        <p className="text-muted-foreground">{document.info.description}</p>
        <p className="text-sm">
          Machine-readable:{' '}
          <a href="/api/v1/openapi.json" className="text-blue-700 underline underline-offset-4 dark:text-blue-300">
            /api/v1/openapi.json
          </a>{' '}
          (OpenAPI 3.1).
        </p>
      </header>
      <section aria-labelledby="operations" className="flex flex-col gap-6">
        <h2 id="operations" className="text-xl font-semibold">
          Operations
        </h2>
        {readOperations(document).map((operation) => (
          <OperationSection key={`${operation.method} ${operation.path}`} operation={operation} />
        ))}
      </section>
      <section aria-labelledby="problems" className="flex flex-col gap-2">
        <h2 id="problems" className="text-xl font-semibold">
          Problem types
        </h2>
        <p className="text-sm">
          Every error is <code>application/problem+json</code>: <code>type</code>, <code>title</code>,{' '}
          <code>status</code>, a <code>detail</code> that says what to do, and <code>code</code>.
        </p>
        <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
          {PROBLEM_TYPES.map((code) => (
            <div key={code} id={`problem-${code}`} className="contents">
              <dt className="font-mono">{code}</dt>
              <dd>{problemTitle(code)}</dd>
            </div>
          ))}
        </dl>
      </section>
    </article>
  );
}
