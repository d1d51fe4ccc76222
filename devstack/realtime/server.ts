import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { DevstackContext } from '../context';
import { withClaims } from '../db/with-claims';
import type { SupabaseClaims } from '../jwt';
import { ChangeFeed, type BatchInfo, type LoadedChange } from './change-feed';
import type { Channel } from './channel';
import { Connection, type Hub } from './connection';
import type { Vsn } from './phoenix-serializer';
import { errorData, precheckError, shapeChangeData, type ChangeData, type TableMeta } from './postgres-changes';
import { checkToken, upgradeErrorMessage } from './tokens';

const PATHS = new Set(['/realtime/v1/websocket', '/realtime/v1/websocket/']);

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Answers a refused upgrade with a JSON body, as the real server does instead of a 101. */
function refuse(socket: Duplex, status: number, statusText: string, body: unknown): void {
  const text = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${statusText}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
  );
}

/**
 * Supabase Realtime at `/realtime/v1/websocket` on the API server: the Phoenix protocol for
 * realtime-js, with postgres_changes fed by {@link ChangeFeed} and checked against RLS per subscriber.
 */
export async function attachRealtime(
  ctx: DevstackContext,
  server: http.Server,
): Promise<{ close: () => Promise<void> }> {
  const connections = new Set<Connection>();
  let closing = false;

  const hub: Hub = {
    channelsOn(topic) {
      const out: Array<{ connection: Connection; channel: Channel }> = [];
      for (const connection of connections) {
        const channel = connection.channels.get(topic);
        if (channel) out.push({ connection, channel });
      }
      return out;
    },
  };

  const feed = new ChangeFeed(
    ctx,
    (change, batch) => dispatch(change, batch),
    () => ![...connections].some((connection) => connection.hasPostgresChanges()),
  );

  /** One change to every matching channel, RLS-checked with that channel's claims. */
  async function dispatch(change: LoadedChange, batch: BatchInfo): Promise<void> {
    const meta = batch.meta;
    if (!meta) return;
    const targets: Array<{ connection: Connection; channel: Channel; ids: number[] }> = [];
    for (const connection of connections) {
      for (const channel of connection.channels.values()) {
        const ids = channel.matchingIds(change, meta.columns);
        if (ids.length > 0) targets.push({ connection, channel, ids });
      }
    }
    if (targets.length === 0) return;
    const roles = [...new Set(targets.map((t) => t.channel.claims.role))];
    const selectable = await batch.selectable(roles);

    // Subscribers with identical claims share one visibility query.
    const visibility = new Map<string, Promise<ChangeData | null>>();
    const dataFor = (claims: SupabaseClaims): Promise<ChangeData | null> => {
      const key = JSON.stringify(claims);
      let pending = visibility.get(key);
      if (!pending) {
        pending = visibleData(change, meta, claims, selectable.get(claims.role) ?? new Set());
        visibility.set(key, pending);
      }
      return pending;
    };
    const results = await Promise.all(targets.map((t) => dataFor(t.channel.claims)));
    targets.forEach((target, i) => {
      const data = results[i];
      // The channel may have been left or replaced while the check ran.
      if (!data || target.connection.channels.get(target.channel.topic) !== target.channel) return;
      target.connection.send({
        joinRef: null,
        ref: null,
        topic: target.channel.topic,
        event: 'postgres_changes',
        payload: { ids: target.ids, data },
      });
    });
  }

  /**
   * apply_rls for one set of claims: the row must be visible by primary key under RLS (skipped for
   * DELETE, the row is gone, and for tables without RLS); `null` = not visible.
   */
  async function visibleData(
    change: LoadedChange,
    meta: TableMeta,
    claims: SupabaseClaims,
    selectable: Set<string>,
  ): Promise<ChangeData | null> {
    const error = precheckError(change, meta, selectable);
    if (error) return errorData(change, error);
    if (meta.rlsEnabled && change.type !== 'DELETE') {
      const table = `${quoteIdent(change.schema)}.${quoteIdent(change.table)}`;
      const keys = meta.primaryKey.map(quoteIdent).join(', ');
      try {
        const visible = await withClaims(
          ctx.db,
          claims,
          async (client) => {
            const result = await client.query<{ visible: boolean }>(
              `select exists (select 1 from ${table} where (${keys}) = (select ${keys} from jsonb_populate_record(null::${table}, $1::jsonb))) as visible`,
              [JSON.stringify(change.record)],
            );
            return result.rows[0]?.visible === true;
          },
          { readOnly: true },
        );
        if (!visible) return null;
      } catch (failure) {
        ctx.log('realtime', `RLS check on ${change.schema}.${change.table} failed: ${String(failure)}`);
        return errorData(change, 'Error 500: Internal Server Error, RLS policy evaluation failed');
      }
    }
    return shapeChangeData(change, meta, selectable);
  }

  await feed.start();

  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 });

  async function accept(req: http.IncomingMessage, socket: Duplex, head: Buffer, url: URL): Promise<void> {
    const vsnParam = url.searchParams.get('vsn') ?? '1.0.0';
    if (vsnParam !== '1.0.0' && vsnParam !== '2.0.0') {
      refuse(socket, 403, 'Forbidden', { error: `Unsupported serializer version ${vsnParam}` });
      return;
    }
    const vsn: Vsn = vsnParam;
    const header = req.headers['x-api-key'];
    const apikey = (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get('apikey');
    const check = await checkToken(ctx.jwt, apikey);
    if (!check.ok) {
      refuse(socket, 401, 'Unauthorized', { error: upgradeErrorMessage(check) });
      return;
    }
    if (closing || socket.destroyed) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      const connection = new Connection(ctx, feed, hub, ws, vsn, apikey ?? '');
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

  return {
    close: async () => {
      closing = true;
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
