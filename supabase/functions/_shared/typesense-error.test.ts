import { describe, expect, it } from 'vitest';
import { classifyTypesenseError } from './typesense-error.ts';

/** An error shaped like typesense-js's (its classes set `httpStatus` and this message). */
function clientError(status: number, serverMessage: string): Error {
  return Object.assign(new Error(`Request failed with HTTP code ${status} | Server said: ${serverMessage}`), {
    httpStatus: status,
  });
}

describe('classifyTypesenseError', () => {
  it.each([400, 401, 404, 409, 422])('%i: the request is wrong, retrying cannot help', (status) => {
    expect(classifyTypesenseError(clientError(status, 'Filter expression is not valid.'))).toEqual({
      kind: 'rejected',
      retryable: false,
      status,
      message: 'Filter expression is not valid.',
    });
  });

  it.each([408, 429, 500, 503])('%i: Typesense cannot answer now, retrying can help', (status) => {
    expect(classifyTypesenseError(clientError(status, 'Rate limit exceeded'))).toMatchObject({
      kind: 'unavailable',
      retryable: true,
      status,
    });
  });

  it('no HTTP answer at all (connection refused, timeout) is unavailable', () => {
    expect(classifyTypesenseError(new Error('connect ECONNREFUSED 127.0.0.1:8108'))).toEqual({
      kind: 'unavailable',
      retryable: true,
      status: undefined,
      message: 'connect ECONNREFUSED 127.0.0.1:8108',
    });
  });
});
