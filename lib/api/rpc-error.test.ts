import { describe, expect, it } from 'vitest';
import { AppError } from './app-error';
import { rpcError } from './rpc-error';

describe('rpcError', () => {
  it.each([
    ['PT404', 'not_found'],
    ['PT409', 'conflict'],
    ['PT422', 'unprocessable'],
  ])('maps %s to the AppError %s with the function’s message', (code, appCode) => {
    const error = rpcError({ code, message: 'export job x is already completed' }, 'Cancelling');
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: appCode, message: 'export job x is already completed' });
  });

  it('keeps anything else a server error, saying what failed', () => {
    const error = rpcError({ code: '57014', message: 'canceling statement due to statement timeout' }, 'Cancelling');
    expect(error).not.toBeInstanceOf(AppError);
    expect(error.message).toBe('Cancelling failed: canceling statement due to statement timeout');
  });
});
