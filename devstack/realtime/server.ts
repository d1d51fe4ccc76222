// STUB: replaced by the realtime service implementation.
import type http from 'node:http';
import type { DevstackContext } from '../context';

export async function attachRealtime(ctx: DevstackContext, server: http.Server): Promise<{ close: () => Promise<void> }> {
  void ctx;
  void server;
  return { close: async () => {} };
}
