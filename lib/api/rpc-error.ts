import { AppError } from './app-error';

/**
 * The state-machine functions raise PostgREST's custom codes for a caller's mistake (`PT404`, `PT409`,
 * `PT422`: PostgREST answers with that HTTP status) and a role refusal (`42501`, a 403) for a caller's
 * mistake: those become the matching AppError, with the
 * function's own message, which is written for people. Anything else is a bug or an outage: a plain Error
 * (a 500 with a generic message, the details in the log).
 */
const clientErrors = {
  PT404: 'not_found',
  PT409: 'conflict',
  PT422: 'unprocessable',
  // insufficient_privilege: the caller's role does not allow the action (private.require_export_operator).
  '42501': 'forbidden',
} as const;

export function rpcError(error: { code?: string; message: string }, doing: string): Error {
  const code = error.code && error.code in clientErrors ? clientErrors[error.code as keyof typeof clientErrors] : null;
  return code ? new AppError(code, error.message) : new Error(`${doing} failed: ${error.message}`);
}
