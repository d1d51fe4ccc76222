import { describe, expect, it } from 'vitest';
import { retryRolledBack } from './transient-retry.ts';

const answers = (...codes: Array<string | null>) => {
  let sent = 0;
  const send = () => {
    const code = codes[Math.min(sent, codes.length - 1)];
    sent += 1;
    return Promise.resolve({ data: code === null ? 'ok' : null, error: code === null ? null : { code } });
  };
  return { send, sent: () => sent };
};
const noPause = () => Promise.resolve();

describe('retryRolledBack', () => {
  it('sends a call Postgres rolled back (deadlock, serialization failure) again until it goes through', async () => {
    const calls = answers('40P01', '40001', null);
    expect(await retryRolledBack(calls.send, noPause)).toEqual({ data: 'ok', error: null });
    expect(calls.sent()).toBe(3);
  });

  it('never resends any other failure: it may have done something', async () => {
    const calls = answers('P0001');
    expect((await retryRolledBack(calls.send, noPause)).error).toEqual({ code: 'P0001' });
    expect(calls.sent()).toBe(1);
  });

  it('gives up after four resends and answers the last failure', async () => {
    const calls = answers('40P01');
    const pauses: number[] = [];
    const answer = await retryRolledBack(
      calls.send,
      (ms) => {
        pauses.push(ms);
        return Promise.resolve();
      },
      () => 0.5,
    );
    expect(answer.error).toEqual({ code: '40P01' });
    expect(calls.sent()).toBe(5);
    // At once, then a growing pause.
    expect(pauses).toEqual([20, 40, 80]);
  });
});
