// STUB: replaced by the Typesense-compatible server.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DevstackContext } from '../context';

export async function startTypesenseServer(ctx: DevstackContext): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(501).end();
  });
  await new Promise<void>((resolve) => server.listen(ctx.config.typesensePort, ctx.config.host, resolve));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://${ctx.config.host}:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}
