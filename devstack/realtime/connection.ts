import { z } from 'zod';
import type { WebSocket } from 'ws';
import type { DevstackContext } from '../context';
import type { ChangeFeed } from './change-feed';
import { buildSubscriptions, Channel, flexibleBoolean, joinPayloadSchema } from './channel';
import { decodeBinary, decodeText, encode, type PhoenixMessage, type Vsn } from './phoenix-serializer';
import { validateConditions, type PgChangeParams } from './postgres-changes';
import { checkToken, joinErrorReason } from './tokens';

/** Hub operations a connection needs from the server: broadcast fan-out across sockets. */
export type Hub = {
  channelsOn(topic: string): Array<{ connection: Connection; channel: Channel }>;
};

const accessTokenPayload = z.object({ access_token: z.string().nullable().optional() }).passthrough();
const broadcastPayload = z
  .object({ type: z.literal('broadcast'), event: z.string(), payload: z.unknown().optional() })
  .passthrough();

/** setTimeout's ceiling; longer token lifetimes are re-armed when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * One Phoenix socket. Incoming frames are handled strictly one after another (a join awaits the
 * token check and the publication scan), so a client's access_token or leave never overtakes its join.
 */
export class Connection {
  readonly channels = new Map<string, Channel>();
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly ctx: DevstackContext,
    private readonly feed: ChangeFeed,
    private readonly hub: Hub,
    readonly ws: WebSocket,
    readonly vsn: Vsn,
    /** The connection's apikey: the fallback token of every join (protocols.md §1.5). */
    private readonly apikey: string,
  ) {
    ws.on('message', (data, isBinary) => {
      const buffer = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      this.chain = this.chain
        .then(() => this.receive(buffer, isBinary))
        .catch((error: unknown) => this.ctx.log('realtime', `frame handling failed: ${String(error)}`));
    });
  }

  send(message: PhoenixMessage): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(encode(this.vsn, message));
  }

  private reply(message: PhoenixMessage, status: 'ok' | 'error', response: Record<string, unknown>): void {
    this.send({
      joinRef: message.joinRef,
      ref: message.ref,
      topic: message.topic,
      event: 'phx_reply',
      payload: { status, response },
    });
  }

  private async receive(data: Buffer, isBinary: boolean): Promise<void> {
    if (isBinary) {
      // vsn 2.0.0 sends channel.send({type:'broadcast'}) as binary kind 3; anything else is ignored.
      const frame = this.vsn === '2.0.0' ? decodeBinary(data) : null;
      if (frame && frame.payload.kind === 'json') {
        this.broadcast(
          { joinRef: frame.joinRef, ref: frame.ref, topic: frame.topic, event: 'broadcast', payload: null },
          frame.userEvent,
          frame.payload.value,
        );
      }
      return;
    }
    const message = decodeText(this.vsn, data.toString('utf8'));
    if (!message) return;
    if (message.topic === 'phoenix') {
      if (message.event === 'heartbeat') this.reply(message, 'ok', {});
      else this.reply(message, 'error', { reason: 'unmatched topic' });
      return;
    }
    if (message.event === 'phx_join') {
      await this.join(message);
      return;
    }
    const channel = this.channels.get(message.topic);
    if (!channel || (message.joinRef !== null && message.joinRef !== channel.joinRef)) {
      this.reply(message, 'error', { reason: 'unmatched topic' });
      return;
    }
    switch (message.event) {
      case 'phx_leave':
        this.reply(message, 'ok', {});
        this.closeChannel(channel);
        return;
      case 'access_token':
        await this.refreshToken(channel, message);
        return;
      case 'broadcast': {
        const parsed = broadcastPayload.safeParse(message.payload);
        if (parsed.success) this.broadcast(message, parsed.data.event, parsed.data.payload);
        return;
      }
      case 'presence':
        // Presence is not emulated; answer so track()/untrack() resolve instead of timing out.
        this.reply(message, 'ok', {});
        return;
      default:
        // The real server logs and ignores unexpected channel events (handle_in catch-all).
        return;
    }
  }

  private async join(message: PhoenixMessage): Promise<void> {
    if (!message.topic.startsWith('realtime:')) {
      this.reply(message, 'error', { reason: 'unmatched topic' });
      return;
    }
    if (message.topic === 'realtime:') {
      this.reply(message, 'error', { reason: 'TopicNameRequired: You must provide a topic name' });
      return;
    }
    const parsed = joinPayloadSchema.safeParse(message.payload ?? {});
    if (!parsed.success) {
      this.reply(message, 'error', {
        reason: `UnknownErrorOnChannel: invalid join payload: ${parsed.error.issues[0]?.message ?? ''}`,
      });
      return;
    }
    const payload = parsed.data;
    const previous = this.channels.get(message.topic);
    if (previous) {
      // Phoenix shuts the old channel (its phx_close) before joining the new one.
      this.closeChannel(previous);
    }

    // An opaque sb_… key or no token at all falls back to the connection's apikey (assign_access_token).
    const given = payload.user_token ?? payload.access_token;
    const token = given && !given.startsWith('sb_') ? given : this.apikey;
    const check = await checkToken(this.ctx.jwt, token);
    if (!check.ok) {
      this.reply(message, 'error', { reason: joinErrorReason(check) });
      return;
    }
    const subTopic = message.topic.slice('realtime:'.length);
    const config = payload.config;
    if (flexibleBoolean(config?.private) && check.claims.role !== 'service_role') {
      // Private channels are authorized by RLS on realtime.messages, which the devstack does not
      // have: with no policies the real server denies too.
      this.reply(message, 'error', {
        reason: `Unauthorized: You do not have permissions to read from this Channel topic: ${subTopic}`,
      });
      return;
    }

    const params: PgChangeParams[] = config?.postgres_changes ?? [];
    const subscriptions = buildSubscriptions(params);
    if (subscriptions.length > 0) {
      try {
        const publication = await this.feed.scan();
        for (const sub of subscriptions) {
          if (sub.error) continue;
          const schema = sub.params.schema ?? 'public';
          const table = sub.params.table;
          const tables = publication.tables.filter(
            (t) =>
              (schema === '*' || t.schema === schema) && (table === undefined || table === '*' || t.table === table),
          );
          if (tables.length === 0) {
            sub.error =
              'Unable to subscribe to changes with given parameters. Please check Realtime is enabled for the given connect parameters: ' +
              `[event: ${sub.params.event}, schema: ${schema}, table: ${table ?? '*'}, filters: [${sub.params.filter ?? ''}]]`;
            continue;
          }
          if (tables.length === 1 && tables[0]) sub.error = validateConditions(sub.conditions, tables[0].columns);
        }
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        for (const sub of subscriptions) sub.error ??= `Unable to read publication supabase_realtime: ${reason}`;
      }
    }

    // The socket may have closed while the token check or the scan ran: register nothing then.
    if (this.ws.readyState !== this.ws.OPEN) return;
    const channel = new Channel(
      message.topic,
      message.joinRef ?? message.ref,
      check.claims,
      token,
      subscriptions,
      flexibleBoolean(config?.broadcast?.self),
      flexibleBoolean(config?.broadcast?.ack),
    );
    this.channels.set(message.topic, channel);
    this.armExpiry(channel, check.exp);
    this.reply(message, 'ok', {
      postgres_changes: subscriptions.map((sub) => ({ ...sub.params, id: sub.id })),
    });
    if (subscriptions.length > 0) {
      const failed = subscriptions.find((sub) => sub.error);
      this.pushSystem(
        channel,
        'postgres_changes',
        failed ? 'error' : 'ok',
        failed?.error ?? 'Subscribed to PostgreSQL',
      );
    }
  }

  private async refreshToken(channel: Channel, message: PhoenixMessage): Promise<void> {
    const parsed = accessTokenPayload.safeParse(message.payload);
    if (!parsed.success) return;
    const token = parsed.data.access_token;
    // No reply in any branch (protocols.md §1.9); null, unchanged and opaque sb_… tokens are ignored.
    if (!token || token === channel.accessToken || token.startsWith('sb_')) return;
    const check = await checkToken(this.ctx.jwt, token);
    if (this.channels.get(channel.topic) !== channel) return;
    if (!check.ok) {
      this.shutdown(channel, check.message);
      return;
    }
    channel.claims = check.claims;
    channel.accessToken = token;
    this.armExpiry(channel, check.exp);
  }

  /** The real server re-confirms the token at `exp` and closes the channel once it has expired. */
  private armExpiry(channel: Channel, exp: number): void {
    if (channel.expiryTimer) clearTimeout(channel.expiryTimer);
    const delay = exp * 1000 - Date.now();
    channel.expiryTimer = setTimeout(
      () => {
        channel.expiryTimer = null;
        if (this.channels.get(channel.topic) !== channel) return;
        if (exp * 1000 > Date.now()) {
          this.armExpiry(channel, exp);
          return;
        }
        this.shutdown(channel, `Token has expired ${Math.max(0, Math.floor(Date.now() / 1000) - exp)} seconds ago`);
      },
      Math.min(Math.max(delay, 0), MAX_TIMER_MS),
    );
    channel.expiryTimer.unref();
  }

  /** `shutdown_response`: a system error, then phx_close (the client reports CLOSED and does not rejoin). */
  private shutdown(channel: Channel, reason: string): void {
    this.pushSystem(channel, 'system', 'error', reason);
    this.closeChannel(channel);
  }

  private pushSystem(channel: Channel, extension: string, status: 'ok' | 'error', text: string): void {
    this.send({
      joinRef: channel.joinRef,
      ref: null,
      topic: channel.topic,
      event: 'system',
      payload: { channel: channel.subTopic, extension, message: text, status },
    });
  }

  /** Removes the channel and sends phx_close with ref = join_ref, which realtime-js needs to fire CLOSED. */
  closeChannel(channel: Channel): void {
    if (this.channels.get(channel.topic) === channel) this.channels.delete(channel.topic);
    channel.dispose();
    this.send({
      joinRef: channel.joinRef,
      ref: channel.joinRef,
      topic: channel.topic,
      event: 'phx_close',
      payload: {},
    });
  }

  private broadcast(message: PhoenixMessage, event: string, payload: unknown): void {
    const sender = this.channels.get(message.topic);
    if (!sender) return;
    for (const { connection, channel } of this.hub.channelsOn(message.topic)) {
      if (channel === sender && !sender.broadcastSelf) continue;
      connection.send({
        joinRef: null,
        ref: null,
        topic: channel.topic,
        event: 'broadcast',
        payload: { type: 'broadcast', event, payload },
      });
    }
    if (sender.broadcastAck && message.ref !== null) this.reply(message, 'ok', {});
  }

  hasPostgresChanges(): boolean {
    for (const channel of this.channels.values()) if (channel.subscriptions.length > 0) return true;
    return false;
  }

  dispose(): void {
    for (const channel of this.channels.values()) channel.dispose();
    this.channels.clear();
  }
}
