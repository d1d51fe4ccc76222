/** The HTTP status a typesense-js error carries (`error.httpStatus`), if any. */
export function typesenseHttpStatus(error: unknown): number | undefined {
  const status = (error as { httpStatus?: unknown } | null)?.httpStatus;
  return typeof status === 'number' ? status : undefined;
}
