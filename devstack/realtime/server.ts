import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { DevstackContext } from '../context';
import { checkGateway } from '../http/caller';
import { Connection } from './connection';
import { MessageFeed, type BroadcastMessage } from './message-feed';
import type { Vsn } from './phoenix-serializer';
import { RealtimeQuota, type QuotaPatch, type RealtimeUsage } from './quota';
import { checkToken, upgradeErrorMessage } from './tokens';

const PATHS = new Set(['/realtime/v1/websocket', '/realtime/v1/websocket/']);

/** Answers a refused upgrade with a JSON body, as the real server does instead of a 101. */
function refuse(socket: Duplex, status: number, statusText: string, body: unknown): void {
  const text = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${statusText}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
  );
}

function headerRecord(headers: http.IncomingHttpHeaders): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : (value ?? '')]),
  );
}

export type RealtimeService = {
  /** What the project used and how often it went over its limits (`GET /_devstack/realtime/usage`). */
  usage: () => RealtimeUsage;
  /** Other limits or another plan, for tests (`PUT /_devstack/realtime/quota`); rates start afresh. */
  configure: (patch: QuotaPatch) => RealtimeUsage;
  /** The configured plan again (`DELETE /_devstack/realtime/quota`). */
  restore: () => RealtimeUsage;
  close: () => Promise<void>;
};

/**
 * Supabase Realtime at `/realtime/v1/websocket` on the API server: the Phoenix protocol for realtime-js,
 * with Broadcast from Database (`realtime.send` / `broadcast_changes`) delivered to the joined channels
 * of its topic, private channels authorised by the `realtime.messages` policies. It meters and limits
 * the project as hosted does (`quota.ts`): messages and joins a second, concurrent connections, channels
 * per connection.
 */
export async function attachRealtime(ctx: DevstackContext, server: http.Server): Promise<RealtimeService> {
  const connections = new Set<Connection>();
  let closing = false;
  const quota = new RealtimeQuota({
    plan: ctx.config.realtimePlan,
    tickMs: ctx.config.realtimeRateTickMs,
    log: (message) => ctx.log('realtime', message),
  });
  quota.start();
  /** Sockets that joined a channel: hosted's "concurrent users". */
  const users = () => [...connections].filter((c) => c.counted).length;
  const tenant = { quota, users };

  const deliver = (message: BroadcastMessage) => {
    const subscribers = [...connections].filter((connection) => connection.subscribes(message));
    if (!quota.admitMessage(subscribers.length, message.topic)) return;
    for (const connection of subscribers) connection.deliver(message);
  };
  const feed = new MessageFeed(ctx, deliver);
  await feed.start();

  /** Hosted answers a refused socket after CONNECT_ERROR_BACKOFF_MS (`user_socket.ex connect_error`). */
  const refuseLater = (socket: Duplex, status: number, statusText: string, body: unknown) => {
    const timer = setTimeout(() => refuse(socket, status, statusText, body), ctx.config.realtimeConnectErrorBackoffMs);
    timer.unref();
  };

  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 });

  async function accept(req: http.IncomingMessage, socket: Duplex, head: Buffer, url: URL): Promise<void> {
    const vsnParam = url.searchParams.get('vsn') ?? '1.0.0';
    if (vsnParam !== '1.0.0' && vsnParam !== '2.0.0') {
      refuse(socket, 403, 'Forbidden', { error: `Unsupported serializer version ${vsnParam}` });
      return;
    }
    const vsn: Vsn = vsnParam;
    // The gateway checks the key first; the socket's token is then the JWT minted for it.
    const rejected = checkGateway(ctx, req, url);
    if (rejected) {
      refuse(socket, rejected.status, 'Unauthorized', rejected.body);
      return;
    }
    const header = req.headers['x-api-key'];
    const apikey = (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get('apikey');
    const check = await checkToken(ctx, apikey);
    if (!check.ok) {
      refuseLater(socket, 401, 'Unauthorized', { error: upgradeErrorMessage(check) });
      return;
    }
    if (closing || socket.destroyed) {
      socket.destroy();
      return;
    }
    // TenantRateLimiters.check_tenant: concurrent users, then joins a second.
    const overQuota = quota.checkConnect(users());
    if (overQuota) {
      refuseLater(socket, 429, 'Too Many Requests', { error: overQuota.message });
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      const connection = new Connection(ctx, tenant, ws, vsn, apikey ?? '', headerRecord(req.headers));
      connections.add(connection);
      ws.on('error', (error) => ctx.log('realtime', `socket error: ${error.message}`));
      ws.on('close', () => {
        connections.delete(connection);
        connection.dispose();
      });
    });
  }

  const onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = new URL(req.url ?? '/', 'http://devstack.local');
    if (!PATHS.has(url.pathname)) return; // other upgrade paths belong to other handlers
    // A client reset while the token is checked must not become an unhandled 'error' event.
    socket.on('error', () => {});
    if (closing) {
      refuse(socket, 503, 'Service Unavailable', { error: 'Realtime is restarting, please standby' });
      return;
    }
    accept(req, socket, head, url).catch((error: unknown) => {
      ctx.log('realtime', `upgrade failed: ${String(error)}`);
      socket.destroy();
    });
  };
  server.on('upgrade', onUpgrade);

  const usage = () =>
    quota.usage({
      connections: connections.size,
      users: users(),
      channels: [...connections].reduce((sum, c) => sum + c.channels.size, 0),
    });
  return {
    usage,
    configure: (patch) => {
      quota.configure(patch);
      return usage();
    },
    restore: () => {
      quota.restore();
      return usage();
    },
    close: async () => {
      closing = true;
      quota.stop();
      server.off('upgrade', onUpgrade);
      const closed = [...connections].map(
        (connection) =>
          new Promise<void>((resolve) => {
            connection.dispose();
            if (connection.ws.readyState === connection.ws.CLOSED) {
              resolve();
              return;
            }
            const timer = setTimeout(() => {
              connection.ws.terminate();
              resolve();
            }, 1_000);
            connection.ws.once('close', () => {
              clearTimeout(timer);
              resolve();
            });
            connection.ws.close(1001, 'Server shutting down');
          }),
      );
      await Promise.all(closed);
      connections.clear();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await feed.close();
    },
  };
}
