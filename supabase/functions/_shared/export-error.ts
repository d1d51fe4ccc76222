/**
 * Why an invocation failed, and whether trying again can help. Retryable: the source or storage was
 * unavailable or slow (5xx, timeouts, network), or the database call failed. Not retryable: the source
 * rejected the request (bad filter, missing collection), the data does not fit the job (no key), or a
 * re-run found its key range holding other records than it first wrote (the source changed).
 */
export type ExportErrorKind =
  | 'source_unavailable'
  | 'source_rejected'
  | 'storage_failed'
  | 'database_failed'
  | 'schema_mismatch'
  | 'source_changed'
  | 'bad_filter'
  | 'internal';

export class ExportError extends Error {
  constructor(
    readonly kind: ExportErrorKind,
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'ExportError';
  }
}

export function asExportError(error: unknown): ExportError {
  if (error instanceof ExportError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ExportError('internal', message, false);
}
