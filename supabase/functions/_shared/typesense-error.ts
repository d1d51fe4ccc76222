/**
 * What a failed Typesense call means, decided in one place for the app and the worker, so both tell
 * a person the same thing about the same answer.
 *
 * - `rejected`: the request itself is wrong (4xx: a bad filter, a missing collection or field, a bad
 *   key); asking again cannot help, the person must change something.
 * - `unavailable`: Typesense could not answer now — 408 (its own request timeout), 429 (rate limited),
 *   5xx, or no HTTP answer at all (connection refused, timeout; the official client has already
 *   retried every node); trying again later can help.
 *
 * typesense-js rejects with `error.httpStatus` set for any HTTP answer, and a message of the form
 * "Request failed with HTTP code 400 | Server said: <Typesense's message>" (docs/protocols.md §5.1).
 */
export type TypesenseFailure = {
  kind: 'rejected' | 'unavailable';
  retryable: boolean;
  /** The HTTP status, when Typesense answered at all. */
  status: number | undefined;
  /** Typesense's own message (`Server said: …`), else the client's. */
  message: string;
};

/** 4xx answers that mean "not now" rather than "not like this". */
const TRANSIENT_CLIENT_STATUSES = new Set([408, 429]);

export function classifyTypesenseError(error: unknown): TypesenseFailure {
  const raw = (error as { httpStatus?: unknown } | null)?.httpStatus;
  const status = typeof raw === 'number' ? raw : undefined;
  const text = error instanceof Error ? error.message : String(error);
  const message = text.replace(/^.*\| Server said: /s, '');
  const rejected = status !== undefined && status >= 400 && status < 500 && !TRANSIENT_CLIENT_STATUSES.has(status);
  return rejected
    ? { kind: 'rejected', retryable: false, status, message }
    : { kind: 'unavailable', retryable: true, status, message };
}
