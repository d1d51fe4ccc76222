import { z } from 'zod';
import { AppError } from './app-error';

const uuid = z.uuid();

/** A uuid path segment; anything else is a 400 that says which segment was wrong. */
export function parseUuidParam(value: string, name: string): string {
  if (!uuid.safeParse(value).success)
    throw new AppError('bad_request', `${name} must be a UUID, got "${value.slice(0, 64)}".`);
  return value;
}
