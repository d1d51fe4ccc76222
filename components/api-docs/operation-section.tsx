import { Badge } from '@/components/ui/badge';

export type DocumentedOperation = {
  method: string;
  path: string;
  summary: string;
  scope: string | null;
  parameters: Array<{ name: string; in: string; required: boolean; description?: string }>;
  requestSchema: unknown;
  responses: Array<{ status: string; description: string }>;
};

/** One operation of the API reference: method and path, the scope it needs, its inputs and answers. */
export function OperationSection({ operation }: { operation: DocumentedOperation }) {
  const anchor = `${operation.method}-${operation.path}`.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  return (
    <section aria-labelledby={anchor} className="border-border flex flex-col gap-3 border-t pt-6">
      <h3 id={anchor} className="flex flex-wrap items-center gap-2 text-lg font-semibold">
        <span>{operation.summary}</span>
      </h3>
      <p className="flex flex-wrap items-center gap-2 font-mono text-sm">
        <Badge>{operation.method}</Badge>
        <span className="break-all">{operation.path}</span>
        {operation.scope ? <Badge>scope: {operation.scope}</Badge> : <Badge>public</Badge>}
      </p>
      {operation.parameters.length > 0 && (
        <table className="w-full text-left text-sm">
          <caption className="sr-only">Parameters of {operation.summary}</caption>
          <thead>
            <tr className="text-muted-foreground">
              <th scope="col" className="py-1 pr-4 font-medium">
                Parameter
              </th>
              <th scope="col" className="py-1 pr-4 font-medium">
                In
              </th>
              <th scope="col" className="py-1 font-medium">
                Description
              </th>
            </tr>
          </thead>
          <tbody>
            {operation.parameters.map((p) => (
              <tr key={`${p.in}-${p.name}`} className="align-top">
                <td className="py-1 pr-4 font-mono">
                  {p.name}
                  {p.required ? ' *' : ''}
                </td>
                <td className="py-1 pr-4">{p.in}</td>
                <td className="py-1">{p.description ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {operation.requestSchema !== null && (
        <details>
          <summary className="cursor-pointer text-sm font-medium">Request body (JSON Schema)</summary>
          <pre className="bg-muted mt-2 overflow-x-auto rounded-md p-3 text-xs">
            {JSON.stringify(operation.requestSchema, null, 2)}
          </pre>
        </details>
      )}
      <ul className="text-sm">
        {operation.responses.map((r) => (
          <li key={r.status}>
            <span className="font-mono">{r.status}</span> {r.description}
          </li>
        ))}
      </ul>
    </section>
  );
}
