import type { z } from 'zod';
import { AppError } from './app-error';

/** 64 KB is far above any valid request body of this API; larger bodies are refused unread. */
const MAX_BODY_BYTES = 64 * 1024;

export async function parseJsonBody<S extends z.ZodType>(request: Request, schema: S): Promise<z.infer<S>> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > MAX_BODY_BYTES)
    throw new AppError('bad_request', `The request body is larger than ${MAX_BODY_BYTES} bytes.`);
  const text = await request.text();
  if (text.length > MAX_BODY_BYTES)
    throw new AppError('bad_request', `The request body is larger than ${MAX_BODY_BYTES} bytes.`);
  let json: unknown;
  try {
    json = text.length === 0 ? {} : JSON.parse(text);
  } catch {
    throw new AppError('bad_request', 'The request body is not valid JSON.');
  }
  return schema.parse(json);
}
