import { z } from 'zod';
import { AppError, appErrorHttpStatus } from '@/lib/api/app-error';

/**
 * Every failure of the REST API v1 as `application/problem+json` (RFC 9457): `type` names the problem
 * (a link into the API docs, where each type is explained), `title` is the same for every occurrence of
 * a type, `detail` is the sentence for this occurrence that tells a person what to do. `code` repeats the
 * type's short name for scripts that branch on it; `errors` lists every invalid field of a 422.
 */
export const problemSchema = z
  .object({
    type: z.string().meta({ description: 'A URI reference naming the problem type; its page explains it.' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().meta({ description: 'What went wrong this time, and what to do about it.' }),
    code: z.string(),
    errors: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .meta({ description: 'Every invalid field (422 only).' }),
  })
  .meta({ id: 'Problem' });

export type Problem = z.infer<typeof problemSchema>;

const TITLES: Record<string, string> = {
  bad_request: 'The request is malformed',
  unauthenticated: 'No valid API token',
  forbidden: 'The token may not do this',
  not_found: 'Not found',
  conflict: 'Conflicts with the current state',
  unsupported_media_type: 'Unsupported body type',
  unprocessable: 'The request cannot be carried out',
  validation_failed: 'The request failed validation',
  range_not_satisfiable: 'Range not satisfiable',
  too_many_requests: 'Too many requests',
  upstream_damaged: 'Stored data failed verification',
  upstream_unavailable: 'A service Baton depends on is unavailable',
  method_not_allowed: 'Method not allowed',
  internal: 'Internal error',
};

export const PROBLEM_TYPES = Object.keys(TITLES);

export function problemType(code: string): string {
  return `/docs/api#problem-${code}`;
}

export function problemTitle(code: string): string {
  return TITLES[code] ?? 'Error';
}

export function problemResponse(problem: Omit<Problem, 'type' | 'title'>, headers?: HeadersInit): Response {
  const body: Problem = { type: problemType(problem.code), title: problemTitle(problem.code), ...problem };
  const all = new Headers(headers);
  all.set('Content-Type', 'application/problem+json');
  return new Response(JSON.stringify(body), { status: problem.status, headers: all });
}

/**
 * A field's message as a sentence that names the field once: most of the schemas' messages start with it
 * already ("sourceId must be the UUID…"); zod's own ("Invalid input") do not.
 */
function fieldSentence({ path, message }: { path: string; message: string }): string {
  const named = path && !message.startsWith(path) ? `${path}: ${message}` : message;
  return /[.)]$/.test(named) ? named : `${named}.`;
}

/** The one mapping of a thrown error to a problem; unknown errors are a logged 500 that leaks nothing. */
export function problemFor(error: unknown): Response {
  if (error instanceof AppError) {
    const retryAfter = error.details?.retryAfterSeconds;
    return problemResponse(
      { status: appErrorHttpStatus(error.code), code: error.code, detail: error.message },
      typeof retryAfter === 'number' ? { 'Retry-After': String(retryAfter) } : undefined,
    );
  }
  if (error instanceof z.ZodError) {
    const errors = error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    const first = errors[0];
    return problemResponse({
      status: 422,
      code: 'validation_failed',
      detail: first ? fieldSentence(first) : 'The request is invalid.',
      errors,
    });
  }
  console.error('[api/v1] unexpected error', error);
  return problemResponse({
    status: 500,
    code: 'internal',
    detail: 'Something went wrong on our side. Try again; if it keeps happening, contact support.',
  });
}
