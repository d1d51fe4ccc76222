/**
 * PostgREST's error body and status rules (docs/protocols.md §2.4; PostgREST `src/PostgREST/Error.hs`).
 * Every failure the REST service answers goes through `RestError`, so the body shape
 * `{code, message, details, hint}` and the `Proxy-Status` header are the same everywhere.
 */

export type ErrorBody = {
  code: string;
  message: string;
  details: string | null;
  hint: string | null;
};

export class RestError extends Error {
  readonly body: ErrorBody;

  constructor(
    readonly status: number,
    code: string,
    message: string,
    details: string | null = null,
    hint: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.body = { code, message, details, hint };
  }
}

// ---- Errors PostgREST raises itself (PGRSTxxx) ----

export function queryParamError(message: string, details: string): RestError {
  return new RestError(400, 'PGRST100', message, details);
}

export function invalidBody(message: string): RestError {
  return new RestError(400, 'PGRST102', message);
}

export function rangeNotSatisfiable(offset: number, total: number): RestError {
  return new RestError(
    416,
    'PGRST103',
    'Requested range not satisfiable',
    `An offset of ${offset} was requested, but there are only ${total} rows.`,
  );
}

export function unacceptableSchema(schema: string): RestError {
  return new RestError(
    406,
    'PGRST106',
    `Invalid schema: ${schema}`,
    null,
    'Only the following schemas are exposed: public',
  );
}

export function mediaTypeError(types: string[]): RestError {
  return new RestError(406, 'PGRST107', `None of these media types are available: ${types.join(', ')}`);
}

export function singularityError(rows: number): RestError {
  return new RestError(
    406,
    'PGRST116',
    'Cannot coerce the result to a single JSON object',
    `The result contains ${rows} rows`,
  );
}

export function unsupportedMethod(method: string): RestError {
  return new RestError(405, 'PGRST117', `Unsupported HTTP method: ${method}`);
}

export function maxAffectedViolation(rows: number): RestError {
  return new RestError(
    400,
    'PGRST124',
    'Query result exceeds max-affected preference constraint',
    `The query affects ${rows} rows`,
  );
}

export function invalidResourcePath(): RestError {
  return new RestError(404, 'PGRST125', 'Invalid path specified in request URL');
}

export function noRpc(name: string, argNames: string[]): RestError {
  const args = argNames.length === 0 ? ' without parameters' : `(${argNames.join(', ')})`;
  const withParams =
    argNames.length === 0
      ? ' without parameters'
      : ` with parameter${argNames.length > 1 ? 's' : ''} ${argNames.join(', ')}`;
  return new RestError(
    404,
    'PGRST202',
    `Could not find the function public.${name}${args} in the schema cache`,
    `Searched for the function public.${name}${withParams} or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.`,
  );
}

export function ambiguousRpc(name: string, candidates: string[][]): RestError {
  const list = candidates.map((params) => `public.${name}(${params.join(', ')})`).join(', ');
  return new RestError(
    300,
    'PGRST203',
    `Could not choose the best candidate function between: ${list}`,
    null,
    'Try renaming the parameters or the function itself in the database so function overloading can be resolved',
  );
}

export function columnNotFound(relation: string, column: string): RestError {
  return new RestError(400, 'PGRST204', `Could not find the '${column}' column of '${relation}' in the schema cache`);
}

export function tableNotFound(name: string): RestError {
  return new RestError(404, 'PGRST205', `Could not find the table 'public.${name}' in the schema cache`);
}

/**
 * A column the query names that the relation lacks. PostgREST passes such names to Postgres and
 * forwards its 42703; the devstack checks the catalog first (identifiers are never sent unchecked)
 * and answers the same error Postgres would.
 */
export function undefinedColumn(relation: string, column: string): RestError {
  return new RestError(400, '42703', `column ${relation}.${column} does not exist`);
}

export function jwtError(reason: 'expired' | 'invalid', message: string): RestError {
  const text = reason === 'expired' ? 'JWT expired' : message;
  return new RestError(401, reason === 'expired' ? 'PGRST303' : 'PGRST301', text, null, null, {
    'WWW-Authenticate': `Bearer error="invalid_token", error_description=${JSON.stringify(text)}`,
  });
}

/** Not a PostgREST error (it has no body limit); the devstack bounds request memory, so it needs one. */
export function payloadTooLarge(limitBytes: number): RestError {
  return new RestError(
    413,
    'PGRST413',
    'Payload too large',
    `The request body exceeds the devstack limit of ${limitBytes} bytes`,
  );
}

// ---- Errors raised by Postgres ----

export type PgErrorLike = {
  code: string;
  message: string;
  detail?: string | undefined;
  hint?: string | undefined;
};

export function isPgError(error: unknown): error is PgErrorLike {
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as { code?: unknown; message?: unknown; severity?: unknown };
  return (
    typeof candidate.code === 'string' &&
    typeof candidate.message === 'string' &&
    typeof candidate.severity === 'string'
  );
}

/** HTTP status for a SQLSTATE, copied from PostgREST's `mapSQLtoHTTP`. `authed` = the role is not the anon role. */
export function pgErrorStatus(code: string, message: string, authed: boolean): number {
  const exact: Record<string, number> = {
    '23503': 409,
    '23505': 409,
    '25006': 405,
    '53400': 500,
    '57P01': 503,
    P0001: 400,
    '42P01': 404,
    '42P17': 500,
  };
  if (code === '21000') return message.endsWith('requires a WHERE clause') ? 400 : 500;
  if (code === '22023') return message.startsWith('role') && message.endsWith('does not exist') ? 401 : 400;
  if (code === '42883') return message.startsWith('function xmlagg(') ? 406 : 404;
  if (code === '42501') return authed ? 403 : 401;
  const fixed = exact[code];
  if (fixed !== undefined) return fixed;
  if (code.startsWith('PT')) {
    const status = Number(code.slice(2));
    return Number.isInteger(status) && status >= 100 && status <= 599 ? status : 500;
  }
  const byClass: Record<string, number> = {
    '08': 503,
    '09': 500,
    '0L': 403,
    '0P': 403,
    '25': 500,
    '28': 403,
    '2D': 500,
    '38': 500,
    '39': 500,
    '3B': 500,
    '40': 500,
    '53': 503,
    '54': 500,
    '55': 500,
    '57': 500,
    '58': 500,
    F0: 500,
    HV: 500,
    P0: 500,
    XX: 500,
  };
  return byClass[code.slice(0, 2)] ?? 400;
}

const raiseMessageSchemaKeys = ['code', 'message'] as const;

/**
 * `RAISE SQLSTATE 'PGRST' USING message = '{"code":…,"message":…}', detail = '{"status":…,"headers":{…}}'`
 * gives the function full control of the response (PostgREST `parseRaisePGRST`).
 */
function fromRaisePgrst(error: PgErrorLike): RestError {
  const parseFailure = (details: string, hint: string) =>
    new RestError(500, 'PGRST121', `Could not parse JSON in the "RAISE SQLSTATE 'PGRST'" error`, details, hint);
  let message: unknown;
  try {
    message = JSON.parse(error.message);
  } catch {
    message = undefined;
  }
  if (typeof message !== 'object' || message === null || !raiseMessageSchemaKeys.every((k) => k in message)) {
    return parseFailure(
      `Invalid JSON value for MESSAGE: '${error.message}'`,
      "MESSAGE must be a JSON object with obligatory keys: 'code', 'message' and optional keys: 'details', 'hint'.",
    );
  }
  const detailHint =
    "DETAIL must be a JSON object with obligatory keys: 'status', 'headers' and optional key: 'status_text'.";
  if (error.detail === undefined) return parseFailure('DETAIL is missing in the RAISE statement', detailHint);
  let detail: unknown;
  try {
    detail = JSON.parse(error.detail);
  } catch {
    detail = undefined;
  }
  const d = detail as { status?: unknown; headers?: unknown } | undefined;
  if (
    typeof d !== 'object' ||
    d === null ||
    typeof d.status !== 'number' ||
    typeof d.headers !== 'object' ||
    d.headers === null
  ) {
    return parseFailure(`Invalid JSON value for DETAIL: '${error.detail}'`, detailHint);
  }
  const m = message as { code: unknown; message: unknown; details?: unknown; hint?: unknown };
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(d.headers as Record<string, unknown>)) headers[k] = String(v);
  const str = (v: unknown) => (v === undefined || v === null ? null : String(v));
  return new RestError(d.status, String(m.code), String(m.message), str(m.details), str(m.hint), headers);
}

export function fromPgError(error: PgErrorLike, authed: boolean): RestError {
  if (error.code === 'PGRST') return fromRaisePgrst(error);
  const status = pgErrorStatus(error.code, error.message, authed);
  const headers: Record<string, string> = status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {};
  return new RestError(status, error.code, error.message, error.detail ?? null, error.hint ?? null, headers);
}
