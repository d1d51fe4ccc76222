import type { z } from 'zod';
import { AppError } from './app-error';

/** 64 KB is far above any valid request body of this API; larger bodies are refused unread. */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * The body as UTF-8 (RFC 8259 §8.1): one leading byte-order mark is ignored, as the RFC lets a parser do
 * and as clients such as Windows PowerShell send it; bytes that are not UTF-8 are refused rather than
 * replaced, so no value is silently changed. Decoded here, not with `request.text()`, whose decoder
 * drops any number of leading marks and replaces bad bytes.
 */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

export async function parseJsonBody<S extends z.ZodType>(request: Request, schema: S): Promise<z.infer<S>> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > MAX_BODY_BYTES)
    throw new AppError('bad_request', `The request body is larger than ${MAX_BODY_BYTES} bytes.`);
  const bytes = new Uint8Array(await request.arrayBuffer());
  if (bytes.byteLength > MAX_BODY_BYTES)
    throw new AppError('bad_request', `The request body is larger than ${MAX_BODY_BYTES} bytes.`);
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new AppError('bad_request', 'The request body is not valid UTF-8: send JSON encoded as UTF-8.');
  }
  let json: unknown;
  try {
    json = text.length === 0 ? {} : JSON.parse(text);
  } catch {
    throw new AppError('bad_request', 'The request body is not valid JSON.');
  }
  return schema.parse(json);
}
