import type { ServerResponse } from 'node:http';
import { sendJson } from '../http/respond';

/**
 * Storage API errors (supabase/storage `src/internal/errors/codes.ts`, `storage-error.ts`): every 4xx is sent
 * as HTTP 400 with the real status as a *string* in `statusCode`; only 5xx keep their HTTP status.
 * storage-js maps `code` onto `StorageApiError.code`, which `exists()` checks for `NoSuchKey`.
 */
export class StorageError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The legacy `error` field; the server defaults it to the code. */
    readonly error: string = code,
  ) {
    super(message);
  }
}

export function sendStorageError(res: ServerResponse, e: StorageError): void {
  const httpStatus = e.status >= 500 ? e.status : 400;
  sendJson(res, httpStatus, { statusCode: String(e.status), code: e.code, error: e.error, message: e.message });
}

export const storageErrors = {
  noSuchKey: () => new StorageError(404, 'NoSuchKey', 'Object not found', 'not_found'),
  noSuchBucket: () => new StorageError(404, 'NoSuchBucket', 'Bucket not found', 'Bucket not found'),
  keyAlreadyExists: () => new StorageError(409, 'KeyAlreadyExists', 'The resource already exists', 'Duplicate'),
  /** What row-level security answers a write by a caller without a policy (no storage policies exist here). */
  rlsDenied: () => new StorageError(403, 'AccessDenied', 'new row violates row-level security policy', 'Unauthorized'),
  missingAuth: () =>
    new StorageError(403, 'AccessDenied', "headers must have required property 'authorization'", 'Unauthorized'),
  invalidJwt: (message: string) => new StorageError(400, 'InvalidJWT', message),
  invalidKey: (key: string) => new StorageError(400, 'InvalidKey', `Invalid key: ${key}`),
  invalidRequest: (message: string) => new StorageError(400, 'InvalidRequest', message),
  entityTooLarge: () =>
    new StorageError(413, 'EntityTooLarge', 'The object exceeded the maximum allowed size', 'Payload too large'),
  notFound: (route: string) => new StorageError(404, 'InvalidRequest', `Route ${route} not found`, 'Not Found'),
  /** Part of the real API Baton does not use; refused rather than half-imitated (see handler.ts). */
  notImplemented: (what: string) =>
    new StorageError(501, 'NotImplemented', `The devstack does not implement ${what}`, 'Not Implemented'),
  injected: () =>
    new StorageError(503, 'SlowDown', 'Storage is unavailable (devstack fault injection)', 'Service Unavailable'),
};
