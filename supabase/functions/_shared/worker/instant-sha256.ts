import { createHash } from 'node:crypto';

/**
 * For unit tests only: sha256 in hex without leaving the microtask queue, in place of ../sha256.ts
 * (`vi.mock('../sha256.ts', () => import('./instant-sha256.ts'))`). Web Crypto's digest runs on a thread
 * pool in Node, and FakeClock fires its next timer only once nothing else can move.
 */
export function sha256Hex(bytes: Uint8Array): Promise<string> {
  return Promise.resolve(createHash('sha256').update(bytes).digest('hex'));
}
