import { z } from 'zod';
import type { WebSocket } from 'ws';
import type { DevstackContext } from '../context';
import { canReadTopic } from './authorize';
import { Channel, flexibleBoolean, joinPayloadSchema } from './channel';
import type { BroadcastMessage } from './message-feed';
import { decodeText, encode, encodeUserBroadcast, type PhoenixMessage, type Vsn } from './phoenix-serializer';
import type { RealtimeQuota } from './quota';
import { checkToken, joinErrorReason, type TokenCheck } from './tokens';

const accessTokenPayload = z.object({ access_token: z.string().nullable().optional() }).passthrough();

/** setTimeout's ceiling; longer token lifetimes are re-armed when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function unauthorized(subTopic: string): string {
  return `Unauthorized: You do not have permissions to read from this Channel topic: ${subTopic}`;
}

/** The project's side of a socket: its meter and limits, and how many sockets count as users. */
export type RealtimeTenant = { quota: RealtimeQuota; users: () => number };

/**
 * One Phoenix socket: joins (public, or private and authorised against `realtime.messages` policies),
 * token refreshes, leaves and heartbeats, and the delivery of Broadcast-from-Database messages to the
 * channels joined here, each counted against the project's limits (quota.ts). What Baton never sends —
 * client broadcasts, presence, postgres_changes — is not served (nor counted). Incoming frames are
 * handled strictly one after another, so a client's access_token or leave never overtakes its join.
 */
export class Connection {
  readonly channels = new Map<string, Channel>();
  /** Joined a channel once: counts against concurrent connections until it closes (UsersCounter). */
  counted = false;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly ctx: DevstackContext,
    private readonly tenant: RealtimeTenant,
    readonly ws: WebSocket,
    readonly vsn: Vsn,
    /** The connection's apikey: the fallback token of every join (docs/protocols-2026.md §1.2). */
    private readonly apikey: string,
    /** The upgrade request's headers; policies may read them as `request.headers`. */
    private readonly headers: Record<string, string>,
  ) {
    ws.on('message', (data, isBinary) => {
      // Binary frames are client broadcasts (kind 3), which Baton never sends: ignored.
      if (isBinary) return;
      const text = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      this.chain = this.chain
        .then(() => this.receive(text.toString('utf8')))
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

  /** A refused join is answered after the error backoff (hosted: 5 s), without holding up other frames. */
  private refuseJoin(message: PhoenixMessage, reason: string): void {
    const timer = setTimeout(() => this.reply(message, 'error', { reason }), this.ctx.config.realtimeErrorBackoffMs);
    timer.unref();
  }

  private async receive(text: string): Promise<void> {
    const message = decodeText(this.vsn, text);
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
    if (message.event === 'phx_leave') {
      this.reply(message, 'ok', {});
      this.closeChannel(channel);
    } else if (message.event === 'access_token') {
      await this.refreshToken(channel, message);
    }
    // Anything else (client broadcasts, presence) is dropped without a reply, as hosted does for a
    // private channel without a write policy.
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
      this.refuseJoin(message, `UnknownErrorOnChannel: invalid join payload: ${parsed.error.issues[0]?.message ?? ''}`);
      return;
    }
    const payload = parsed.data;
    const previous = this.channels.get(message.topic);
    // Phoenix shuts the old channel (its phx_close) before joining the new one.
    if (previous) this.closeChannel(previous);
    // The project's limits come before the token (realtime_channel.ex join/3).
    const overQuota = this.tenant.quota.checkJoin({
      users: this.tenant.users(),
      socketCounted: this.counted,
      channelsOnSocket: this.channels.size,
      topic: message.topic.slice('realtime:'.length),
    });
    if (overQuota) {
      // Too many joins: the socket is told to disconnect before the refusal goes out, so it never arrives.
      if (overQuota.disconnect) this.ws.close(1000);
      else this.refuseJoin(message, `${overQuota.code}: ${overQuota.message}`);
      return;
    }
    if ((payload.config?.postgres_changes ?? []).length > 0) {
      this.refuseJoin(
        message,
        'UnknownErrorOnChannel: the devstack serves Broadcast from Database, not postgres_changes',
      );
      return;
    }

    // An opaque sb_… key or no token at all falls back to the connection's apikey (assign_access_token).
    const given = payload.user_token ?? payload.access_token;
    const token = given && !given.startsWith('sb_') ? given : this.apikey;
    const check = await checkToken(this.ctx, token);
    if (!check.ok) {
      this.refuseJoin(message, joinErrorReason(check));
      return;
    }
    const subTopic = message.topic.slice('realtime:'.length);
    const isPrivate = flexibleBoolean(payload.config?.private);
    if (isPrivate && !(await canReadTopic(this.ctx, check.claims, subTopic, this.headers))) {
      this.refuseJoin(message, unauthorized(subTopic));
      return;
    }
    // The socket may have closed while the token or the policies were checked: register nothing then.
    if (this.ws.readyState !== this.ws.OPEN) return;
    const channel = new Channel(message.topic, message.joinRef ?? message.ref, check.claims, token, isPrivate);
    this.channels.set(message.topic, channel);
    if (!this.counted) {
      this.counted = true;
      this.tenant.quota.noteUsers(this.tenant.users());
    }
    this.armExpiry(channel, check.exp);
    this.reply(message, 'ok', { postgres_changes: [] });
  }

  /**
   * A new access token for a joined channel. No reply in any branch; null, unchanged and opaque sb_…
   * tokens are ignored. A private channel's policies are evaluated again with the new claims, and a
   * channel that may no longer read its topic is closed.
   */
  private async refreshToken(channel: Channel, message: PhoenixMessage): Promise<void> {
    const parsed = accessTokenPayload.safeParse(message.payload);
    if (!parsed.success) return;
    const token = parsed.data.access_token;
    if (!token || token === channel.accessToken || token.startsWith('sb_')) return;
    const check: TokenCheck = await checkToken(this.ctx, token);
    if (this.channels.get(channel.topic) !== channel) return;
    if (!check.ok) {
      this.shutdown(channel, check.message);
      return;
    }
    if (channel.isPrivate && !(await canReadTopic(this.ctx, check.claims, channel.subTopic, this.headers))) {
      this.shutdown(channel, unauthorized(channel.subTopic));
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
    this.send({
      joinRef: channel.joinRef,
      ref: null,
      topic: channel.topic,
      event: 'system',
      payload: { channel: channel.subTopic, extension: 'system', message: reason, status: 'error' },
    });
    this.closeChannel(channel);
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

  /** The channel of this socket that a committed message is for, if any. */
  private channelFor(message: BroadcastMessage): Channel | null {
    const channel = this.channels.get(`realtime:${message.topic}`);
    // Private messages only to private joins (which were authorised), public ones only to public joins.
    if (!channel || channel.isPrivate !== message.private || this.ws.readyState !== this.ws.OPEN) return null;
    return channel;
  }

  subscribes(message: BroadcastMessage): boolean {
    return this.channelFor(message) !== null;
  }

  /**
   * A committed message, to this socket's channel of its topic. Each delivery counts against the
   * project's messages a second; a channel that delivers while the limit is triggered is shut down
   * after it, as hosted's channel does when it counts the delivery (`handle_info(:update_rate_counter)`).
   */
  deliver(message: BroadcastMessage): void {
    const channel = this.channelFor(message);
    if (!channel) return;
    const event = message.event ?? '';
    const meta = { id: message.id };
    if (this.vsn === '2.0.0') {
      this.ws.send(encodeUserBroadcast(channel.topic, event, meta, message.payload));
    } else {
      this.send({
        joinRef: null,
        ref: null,
        topic: channel.topic,
        event: 'broadcast',
        payload: { type: 'broadcast', event, meta, payload: message.payload },
      });
    }
    if (this.tenant.quota.countDelivery()) {
      this.tenant.quota.record('ChannelShutdown', 'Too many messages per second', channel.subTopic);
      this.shutdown(channel, 'Too many messages per second');
    }
  }

  dispose(): void {
    for (const channel of this.channels.values()) channel.dispose();
    this.channels.clear();
  }
}
