import type { z } from 'zod';
import { AppError } from '@/lib/api/app-error';
import { parseJsonBody } from '@/lib/api/parse-json-body';

/** A JSON body validated by `schema`; a body sent as anything but JSON is a 415 that says how to send it. */
export async function readJsonBody<S extends z.ZodType>(request: Request, schema: S): Promise<z.infer<S>> {
  const mediaType = request.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/json') {
    throw new AppError(
      'unsupported_media_type',
      `Send the request body as JSON with "Content-Type: application/json" (got ${mediaType ? `"${mediaType}"` : 'none'}).`,
    );
  }
  return parseJsonBody(request, schema);
}
