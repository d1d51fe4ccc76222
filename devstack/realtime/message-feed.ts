import pg from 'pg';
import type { DevstackContext } from '../context';

/**
 * The database side of Broadcast from Database. Hosted Realtime reads committed `realtime.messages` rows
 * from a logical replication slot; the embedded Postgres runs without wal_level=logical, so an AFTER
 * INSERT trigger announces each row's id with NOTIFY, which Postgres delivers at commit and drops on
 * rollback — exactly the committed rows, in commit order. Only the id travels (NOTIFY payloads are capped
 * at 8,000 bytes, messages are not); the row is read back by id.
 */

const NOTIFY_CHANNEL = 'devstack_realtime_messages';
/** Hosted keeps messages 72 h for replay, which Baton does not use; here they are only a delivery queue. */
const RETENTION = '10 minutes';
const GC_INTERVAL_MS = 60_000;
const RECONNECT_DELAYS_MS = [250, 1_000, 2_000, 5_000];
/** Shows in pg_stat_activity, so tests can find (and kill) the listening backend. */
export const LISTENER_APPLICATION_NAME = 'devstack realtime listener';

const SETUP_SQL = `
create schema if not exists _realtime;
revoke all on schema _realtime from public;
create or replace function _realtime.announce_message() returns trigger
language plpgsql security definer set search_path = '' as $fn$
begin
  perform pg_notify('${NOTIFY_CHANNEL}', new.id::text);
  return null;
end
$fn$;
revoke all on function _realtime.announce_message() from public;
drop trigger if exists devstack_announce_message on realtime.messages;
create trigger devstack_announce_message after insert on realtime.messages
  for each row execute function _realtime.announce_message();
`;

export type BroadcastMessage = {
  id: string;
  topic: string;
  event: string | null;
  payload: unknown;
  private: boolean;
  insertedAt: string;
};

export class MessageFeed {
  private listener: pg.Client | null = null;
  private closing = false;
  private reconnectAttempt = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private gcTimer: NodeJS.Timeout | null = null;
  private readonly queue: string[] = [];
  private draining: Promise<void> | null = null;
  /** `inserted_at` of the newest message seen: after a reconnect, later ones are fetched, not lost. */
  private lastInsertedAt: string | null = null;
  /** Ids already handed on since the last reconnect, so the catch-up never delivers a message twice. */
  private readonly delivered = new Set<string>();

  constructor(
    private readonly ctx: DevstackContext,
    /** Called once per committed message, in commit order. */
    private readonly onMessage: (message: BroadcastMessage) => void,
  ) {}

  async start(): Promise<void> {
    await this.ctx.db.query(SETUP_SQL);
    await this.connectListener(false);
    this.gcTimer = setInterval(() => {
      this.ctx.db
        .query(`delete from realtime.messages where inserted_at < now() - interval '${RETENTION}'`)
        .catch((error: unknown) => this.ctx.log('realtime', `message GC failed: ${String(error)}`));
    }, GC_INTERVAL_MS);
    this.gcTimer.unref();
  }

  private async connectListener(isReconnect: boolean): Promise<void> {
    const client = new pg.Client({ ...this.ctx.db.options, application_name: LISTENER_APPLICATION_NAME });
    client.on('notification', (message) => {
      if (message.channel === NOTIFY_CHANNEL && message.payload) this.enqueue([message.payload]);
    });
    client.on('error', (error) => {
      this.ctx.log('realtime', `message listener error: ${error.message}`);
      this.dropListener(client);
    });
    client.on('end', () => this.dropListener(client));
    try {
      await client.connect();
      await client.query(`listen ${NOTIFY_CHANNEL}`);
    } catch (error) {
      client.end().catch(() => {});
      if (!isReconnect) throw error;
      this.ctx.log('realtime', `message listener reconnect failed: ${String(error)}`);
      this.scheduleReconnect();
      return;
    }
    if (this.closing) {
      await client.end().catch(() => {});
      return;
    }
    this.listener = client;
    this.reconnectAttempt = 0;
    if (isReconnect && this.lastInsertedAt) {
      // Committed while nobody listened: announced to no one, but still in the table.
      const missed = await this.ctx.db
        .query<{ id: string }>(
          `select id from realtime.messages where inserted_at >= $1::timestamp and extension = 'broadcast'
           order by inserted_at, id`,
          [this.lastInsertedAt],
        )
        .catch(() => ({ rows: [] }));
      this.enqueue(missed.rows.map((row) => row.id).filter((id) => !this.delivered.has(id)));
    }
  }

  private dropListener(client: pg.Client): void {
    if (this.listener !== client) return;
    this.listener = null;
    client.end().catch(() => {});
    if (!this.closing) this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer || this.closing) return;
    const delay = RECONNECT_DELAYS_MS[Math.min(this.reconnectAttempt, RECONNECT_DELAYS_MS.length - 1)] ?? 5_000;
    this.reconnectAttempt += 1;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.connectListener(true);
    }, delay);
  }

  private enqueue(ids: string[]): void {
    this.queue.push(...ids);
    if (!this.draining) {
      this.draining = this.drain().finally(() => {
        this.draining = null;
        if (this.queue.length > 0 && !this.closing) this.enqueue([]);
      });
    }
  }

  /** Loads queued ids in batches and hands the messages on in the order NOTIFY delivered them. */
  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.closing) {
      const batch = this.queue.splice(0, 200);
      let rows: BroadcastMessage[];
      try {
        rows = await this.load(batch);
      } catch (error) {
        this.ctx.log('realtime', `could not load messages: ${String(error)}`);
        continue;
      }
      const byId = new Map(rows.map((row) => [row.id, row]));
      for (const id of batch) {
        const message = byId.get(id);
        if (!message || this.delivered.has(id)) continue;
        this.delivered.add(id);
        if (this.delivered.size > 10_000) this.delivered.delete(this.delivered.values().next().value!);
        if (!this.lastInsertedAt || message.insertedAt > this.lastInsertedAt) this.lastInsertedAt = message.insertedAt;
        this.onMessage(message);
      }
    }
  }

  private async load(ids: string[]): Promise<BroadcastMessage[]> {
    const result = await this.ctx.db.query<{
      id: string;
      topic: string;
      event: string | null;
      payload: unknown;
      private: boolean | null;
      inserted_at: string;
    }>(
      `select id, topic, event, payload, private, to_char(inserted_at, 'YYYY-MM-DD"T"HH24:MI:SS.US') as inserted_at
         from realtime.messages where id = any($1::uuid[]) and extension = 'broadcast'`,
      [ids],
    );
    return result.rows.map((row) => ({
      id: row.id,
      topic: row.topic,
      event: row.event,
      payload: row.payload,
      private: row.private === true,
      insertedAt: row.inserted_at,
    }));
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.gcTimer) clearInterval(this.gcTimer);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const listener = this.listener;
    this.listener = null;
    if (listener) await listener.end().catch(() => {});
    await this.draining?.catch(() => {});
  }
}
