import { z } from 'zod';

/**
 * What hosted Realtime allows a project, and how it counts and answers when a project goes over.
 *
 * The numbers are the plans' (Supabase docs `guides/realtime/limits`, "Limits by plan"). How they are
 * counted and enforced is supabase/realtime's (`rt` @833cf36, docs/protocols-2026.md §6):
 *
 * - **Messages** ("events"): one counter per project (`Tenants.events_per_second_key`). A committed
 *   `realtime.messages` row counts once when Realtime reads it (`tenants/replication_connection.ex`
 *   `handle_message`: `GenCounter.add`), and once more for every channel it is delivered to
 *   (`message_dispatcher.ex` sends each subscriber `:update_rate_counter`, which `realtime_channel.ex`
 *   counts) — the docs' "one message sent plus one message per subscribed client that receives it"
 *   (`guides/platform/manage-your-usage/realtime-messages`).
 * - **Joins**: one counter per project (`Tenants.joins_per_second_key`), counted by every join that gets
 *   past the concurrent-users check (`realtime_channel.ex limit_joins`), whatever happens to it later.
 * - **Rates** are `RateCounter`s (`rate_counter/rate_counter.ex`): counts go into a bucket every tick
 *   (5 s), the last 12 buckets are kept, the rate is their average per second — so "per second" is
 *   judged over the last minute (less while the counter is young). A limit triggers at the tick where the
 *   rate reaches it and clears at the first tick where it is below; between ticks everyone reads the
 *   last tick's verdict. A counter that saw nothing for 5 minutes stops and starts afresh.
 * - **Concurrent users**: sockets that joined at least one channel (`UsersCounter.add` on join), until
 *   they close. **Channels per connection**: channels joined on one socket.
 *
 * Over a limit, hosted answers (reproduced by `Connection` and `attachRealtime`):
 * - messages: a committed message is dropped while the limit is triggered — delivered to nobody, only
 *   logged (`UnableToBroadcastChanges: :too_many_requests`); a channel that counts a delivery while it is
 *   triggered is shut down: `system` error "Too many messages per second", then `phx_close`;
 * - joins: the join is refused with "ClientJoinRateLimitReached: Too many joins per second" and the
 *   socket is disconnected at once (the reply never reaches the client); a new socket is refused with
 *   HTTP 429 `{"error":"Too many joins per second"}` (`user_socket.ex connect`, `TenantRateLimiters`);
 * - concurrent users: a socket not yet counted is refused a join with "ConnectionRateLimitReached: Too
 *   many connected users", a new socket HTTP 429 `{"error":"Too many connected users"}`;
 * - channels per connection: the join is refused with "ChannelRateLimitReached: Too many channels".
 * Refused joins are answered after the channel error backoff, refused sockets after the connect error
 * backoff (`config/runtime.exs`: 5 s and 2 s).
 */

export const realtimePlans = {
  free: { maxConcurrentUsers: 200, maxEventsPerSecond: 100, maxJoinsPerSecond: 100, maxChannelsPerClient: 100 },
  pro: { maxConcurrentUsers: 500, maxEventsPerSecond: 500, maxJoinsPerSecond: 500, maxChannelsPerClient: 100 },
  'pro-no-cap': {
    maxConcurrentUsers: 10_000,
    maxEventsPerSecond: 2_500,
    maxJoinsPerSecond: 2_500,
    maxChannelsPerClient: 100,
  },
} as const;

export const realtimePlanNames = ['free', 'pro', 'pro-no-cap'] as const;
export type RealtimePlan = (typeof realtimePlanNames)[number];

export type RealtimeLimits = {
  maxConcurrentUsers: number;
  maxEventsPerSecond: number;
  maxJoinsPerSecond: number;
  maxChannelsPerClient: number;
};

/** Hosted RateCounter: 5 s ticks, 12 buckets (a minute), stopped after 5 minutes of nothing. */
export const HOSTED_RATE_TICK_MS = 5_000;
const BUCKETS = 12;
const IDLE_RESET_MS = 5 * 60_000;

/** What the admin endpoint may change, for tests: a plan, single limits, the tick. */
export const quotaPatchSchema = z
  .object({
    plan: z.enum(realtimePlanNames),
    maxConcurrentUsers: z.number().int().min(0),
    maxEventsPerSecond: z.number().min(0),
    maxJoinsPerSecond: z.number().min(0),
    maxChannelsPerClient: z.number().int().min(0),
    tickMs: z.number().int().min(10).max(60_000),
  })
  .partial()
  .strict();
export type QuotaPatch = z.infer<typeof quotaPatchSchema>;

/**
 * One of hosted's RateCounters with its limit: `add` between ticks, `tick` closes a bucket, averages the
 * kept buckets and decides whether the limit is triggered until the next tick.
 */
export class RateWindow {
  private counted = 0;
  private buckets: number[] = [];
  private idleMs = 0;
  /** Shut down after idling: no buckets until something is counted again. */
  private stopped = false;
  /** Events per second over the kept buckets, as of the last tick. */
  average = 0;
  triggered = false;

  constructor(
    public limit: number,
    public tickMs: number,
  ) {}

  add(n = 1): void {
    this.counted += n;
  }

  /** Closes a bucket. Returns 'triggered' or 'cleared' when the verdict changes at this tick. */
  tick(): 'triggered' | 'cleared' | null {
    if (this.stopped && this.counted === 0) return null;
    this.stopped = false;
    this.buckets.unshift(this.counted);
    this.counted = 0;
    if (this.buckets.length > BUCKETS) this.buckets.length = BUCKETS;
    const sum = this.buckets.reduce((a, b) => a + b, 0);
    this.average = sum / this.buckets.length / (this.tickMs / 1000);
    // A counter that counted nothing for 5 minutes stops (idle shutdown); the next use starts a new one.
    this.idleMs = sum === 0 ? this.idleMs + this.tickMs : 0;
    if (this.idleMs >= IDLE_RESET_MS) {
      this.reset();
      this.stopped = true;
    }
    if (!this.triggered && this.average >= this.limit) {
      this.triggered = true;
      return 'triggered';
    }
    if (this.triggered && this.average < this.limit) {
      this.triggered = false;
      return 'cleared';
    }
    return null;
  }

  reset(): void {
    this.counted = 0;
    this.buckets = [];
    this.idleMs = 0;
    this.average = 0;
    this.triggered = false;
    this.stopped = false;
  }
}

/** Counts per wall-clock second; keeps the busiest second seen. */
class PerSecond {
  private second = -1;
  private count = 0;
  private best = 0;

  add(n: number, nowMs: number): void {
    const second = Math.floor(nowMs / 1000);
    if (second !== this.second) {
      this.best = Math.max(this.best, this.count);
      this.second = second;
      this.count = 0;
    }
    this.count += n;
  }

  get peak(): number {
    return Math.max(this.best, this.count);
  }
}

export type OverQuotaEvent = { at: string; code: string; message: string; topic?: string };

/** Why a socket or a join is refused. */
export type QuotaRefusal = {
  /** The code hosted logs (and puts before the reason of a join error). */
  code:
    'ConnectionRateLimitReached' | 'JoinsRateLimitReached' | 'ClientJoinRateLimitReached' | 'ChannelRateLimitReached';
  message: string;
  /** A refused join whose socket is closed at once (hosted sends its transport "disconnect"). */
  disconnect: boolean;
};

export type RealtimeUsage = {
  plan: RealtimePlan;
  limits: RealtimeLimits;
  tickMs: number;
  totals: {
    /** Everything hosted counts against "messages per second" and bills: sent + delivered. */
    messages: number;
    /** Committed `realtime.messages` rows Realtime took in. */
    sent: number;
    /** Messages delivered, one per subscribed channel. */
    delivered: number;
    /** Committed rows dropped because the message limit was triggered. */
    dropped: number;
    /** Deliveries those dropped rows would have made. */
    undelivered: number;
    /** Joins counted against "channel joins per second". */
    joins: number;
    /** Sockets accepted. */
    connections: number;
  };
  current: {
    connections: number;
    /** Sockets that joined a channel: what "concurrent connections" limits. */
    users: number;
    channels: number;
    /** Hosted's rate as of its last tick (average per second over up to a minute). */
    messagesPerSecond: number;
    joinsPerSecond: number;
    messagesLimited: boolean;
    joinsLimited: boolean;
  };
  peaks: {
    /** Busiest wall-clock second. */
    messagesPerSecond: number;
    deliveredPerSecond: number;
    joinsPerSecond: number;
    /** Highest rate hosted's counter reported at a tick (what its limit is compared with). */
    messagesPerSecondAverage: number;
    joinsPerSecondAverage: number;
    users: number;
  };
  overQuota: { total: number; byCode: Record<string, number>; recent: OverQuotaEvent[] };
};

const RECENT_EVENTS = 100;

/** The project's Realtime meter and limits. The server asks it before accepting, joining and delivering. */
export class RealtimeQuota {
  private planName: RealtimePlan;
  limits: RealtimeLimits;
  private readonly events: RateWindow;
  private readonly joins: RateWindow;
  private timer: NodeJS.Timeout | null = null;
  private readonly totals = { sent: 0, delivered: 0, dropped: 0, undelivered: 0, joins: 0, connections: 0 };
  private readonly messagesPerSecond = new PerSecond();
  private readonly deliveredPerSecond = new PerSecond();
  private readonly joinsPerSecond = new PerSecond();
  private readonly peaks = { messagesPerSecondAverage: 0, joinsPerSecondAverage: 0, users: 0 };
  private readonly overQuota = { total: 0, byCode: {} as Record<string, number>, recent: [] as OverQuotaEvent[] };

  constructor(
    private readonly options: {
      plan: RealtimePlan;
      tickMs: number;
      log: (message: string) => void;
      now?: () => number;
    },
  ) {
    this.planName = options.plan;
    this.limits = { ...realtimePlans[options.plan] };
    this.events = new RateWindow(this.limits.maxEventsPerSecond, options.tickMs);
    this.joins = new RateWindow(this.limits.maxJoinsPerSecond, options.tickMs);
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  /** Ticks on a timer, as hosted's counters do. */
  start(): void {
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = setInterval(() => this.tick(), this.events.tickMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  tick(): void {
    if (this.events.tick() === 'triggered')
      this.record('MessagePerSecondRateLimitReached', 'Too many messages per second');
    if (this.joins.tick() === 'triggered') this.record('ClientJoinRateLimitReached', 'Too many joins per second');
    this.peaks.messagesPerSecondAverage = Math.max(this.peaks.messagesPerSecondAverage, this.events.average);
    this.peaks.joinsPerSecondAverage = Math.max(this.peaks.joinsPerSecondAverage, this.joins.average);
  }

  /** Test control: another plan, other limits or tick; the rate counters start afresh either way. */
  configure(patch: QuotaPatch): void {
    if (patch.plan) {
      this.planName = patch.plan;
      this.limits = { ...realtimePlans[patch.plan] };
    }
    const { plan: _plan, tickMs, ...limits } = patch;
    this.limits = { ...this.limits, ...limits };
    this.events.limit = this.limits.maxEventsPerSecond;
    this.joins.limit = this.limits.maxJoinsPerSecond;
    if (tickMs !== undefined) {
      this.events.tickMs = tickMs;
      this.joins.tickMs = tickMs;
    }
    this.events.reset();
    this.joins.reset();
    if (this.timer) this.schedule();
  }

  /** Back to the configured plan and hosted's tick. */
  restore(): void {
    this.configure({ plan: this.options.plan, tickMs: this.options.tickMs });
  }

  record(code: string, message: string, topic?: string): void {
    this.overQuota.total += 1;
    this.overQuota.byCode[code] = (this.overQuota.byCode[code] ?? 0) + 1;
    this.overQuota.recent.push({ at: new Date(this.now()).toISOString(), code, message, ...(topic ? { topic } : {}) });
    if (this.overQuota.recent.length > RECENT_EVENTS) this.overQuota.recent.shift();
    this.options.log(`${code}: ${message}${topic ? ` (${topic})` : ''}`);
  }

  /** A socket asks to connect, `users` sockets having joined channels: null, or why it is refused. */
  checkConnect(users: number): QuotaRefusal | null {
    if (users >= this.limits.maxConcurrentUsers) {
      this.record('ConnectionRateLimitReached', 'Too many connected users');
      return { code: 'ConnectionRateLimitReached', message: 'Too many connected users', disconnect: false };
    }
    if (this.joins.triggered) {
      this.record('JoinsRateLimitReached', 'Too many joins per second');
      return { code: 'JoinsRateLimitReached', message: 'Too many joins per second', disconnect: false };
    }
    this.totals.connections += 1;
    return null;
  }

  /**
   * A join, in hosted's order: concurrent users (unless this socket already counts), joins per second
   * (the join counts if it passes), channels on this socket. Null: go on with the token and policies.
   */
  checkJoin(input: {
    users: number;
    socketCounted: boolean;
    channelsOnSocket: number;
    topic: string;
  }): QuotaRefusal | null {
    if (!input.socketCounted && input.users >= this.limits.maxConcurrentUsers) {
      this.record('ConnectionRateLimitReached', 'Too many connected users', input.topic);
      return { code: 'ConnectionRateLimitReached', message: 'Too many connected users', disconnect: false };
    }
    if (this.joins.triggered) {
      this.record('ClientJoinRateLimitReached', 'Too many joins per second', input.topic);
      return { code: 'ClientJoinRateLimitReached', message: 'Too many joins per second', disconnect: true };
    }
    this.joins.add();
    this.totals.joins += 1;
    this.joinsPerSecond.add(1, this.now());
    if (input.channelsOnSocket >= this.limits.maxChannelsPerClient) {
      this.record('ChannelRateLimitReached', 'Too many channels', input.topic);
      return { code: 'ChannelRateLimitReached', message: 'Too many channels', disconnect: false };
    }
    return null;
  }

  /** The socket count that "concurrent connections" limits, for the peak. */
  noteUsers(users: number): void {
    this.peaks.users = Math.max(this.peaks.users, users);
  }

  /**
   * A committed message read from the database, due to `subscribers` channels. False: dropped, because
   * the message limit is triggered (delivered to nobody).
   */
  admitMessage(subscribers: number, topic: string): boolean {
    if (this.events.triggered) {
      this.totals.dropped += 1;
      this.totals.undelivered += subscribers;
      this.record('UnableToBroadcastChanges', ':too_many_requests', topic);
      return false;
    }
    this.events.add();
    this.totals.sent += 1;
    this.messagesPerSecond.add(1, this.now());
    return true;
  }

  /** One delivery to one channel. True: the limit is triggered, so hosted shuts that channel down. */
  countDelivery(): boolean {
    this.events.add();
    this.totals.delivered += 1;
    const now = this.now();
    this.messagesPerSecond.add(1, now);
    this.deliveredPerSecond.add(1, now);
    return this.events.triggered;
  }

  usage(current: { connections: number; users: number; channels: number }): RealtimeUsage {
    return {
      plan: this.planName,
      limits: { ...this.limits },
      tickMs: this.events.tickMs,
      totals: { messages: this.totals.sent + this.totals.delivered, ...this.totals },
      current: {
        ...current,
        messagesPerSecond: this.events.average,
        joinsPerSecond: this.joins.average,
        messagesLimited: this.events.triggered,
        joinsLimited: this.joins.triggered,
      },
      peaks: {
        messagesPerSecond: this.messagesPerSecond.peak,
        deliveredPerSecond: this.deliveredPerSecond.peak,
        joinsPerSecond: this.joinsPerSecond.peak,
        ...this.peaks,
        users: Math.max(this.peaks.users, current.users),
      },
      overQuota: {
        total: this.overQuota.total,
        byCode: { ...this.overQuota.byCode },
        recent: [...this.overQuota.recent],
      },
    };
  }
}
