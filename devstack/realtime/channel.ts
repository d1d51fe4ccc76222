import { z } from 'zod';
import type { SupabaseClaims } from '../jwt';
import {
  matchesConditions,
  matchesTarget,
  parseFilter,
  pgChangeParamsSchema,
  subscriptionId,
  type ChangeType,
  type Column,
  type Condition,
  type PgChangeParams,
} from './postgres-changes';

/** `phx_join` payload (realtime-js RealtimeChannel.subscribe; server payloads/join.ex). */
export const joinPayloadSchema = z
  .object({
    config: z
      .object({
        broadcast: z.object({ self: z.unknown().optional(), ack: z.unknown().optional() }).passthrough().optional(),
        presence: z.object({}).passthrough().optional(),
        postgres_changes: z.array(pgChangeParamsSchema).optional(),
        private: z.unknown().optional(),
      })
      .passthrough()
      .optional(),
    access_token: z.string().nullable().optional(),
    user_token: z.string().nullable().optional(),
  })
  .passthrough();

export type JoinPayload = z.infer<typeof joinPayloadSchema>;

/** The server accepts booleans as strings too (FlexibleBoolean). */
export function flexibleBoolean(value: unknown): boolean {
  return value === true || value === 'true';
}

export type Subscription = {
  id: number;
  params: PgChangeParams;
  conditions: Condition[];
  /** Why this subscription can never match (bad filter, table not published); reported as a system message. */
  error: string | null;
};

export function buildSubscriptions(list: PgChangeParams[]): Subscription[] {
  return list.map((params) => {
    const parsed = parseFilter(params.filter);
    return {
      id: subscriptionId(params),
      params,
      conditions: parsed.ok ? parsed.conditions : [],
      error: parsed.ok ? null : parsed.message,
    };
  });
}

/** One joined topic on one socket. */
export class Channel {
  readonly subTopic: string;
  expiryTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly topic: string,
    readonly joinRef: string | null,
    public claims: SupabaseClaims,
    public accessToken: string,
    readonly subscriptions: Subscription[],
    readonly broadcastSelf: boolean,
    readonly broadcastAck: boolean,
  ) {
    this.subTopic = topic.slice('realtime:'.length);
  }

  /** Ids of this channel's subscriptions that a change matches (before the RLS check). */
  matchingIds(
    change: {
      schema: string;
      table: string;
      type: ChangeType;
      record: Record<string, unknown> | null;
      oldRecord: Record<string, unknown> | null;
    },
    columns: Column[],
  ): number[] {
    const ids: number[] = [];
    for (const sub of this.subscriptions) {
      if (sub.error || !matchesTarget(sub.params, change)) continue;
      // Filters look at the new row, or the old (key) row of a DELETE, as is_visible_through_filters does.
      const row = change.type === 'DELETE' ? change.oldRecord : change.record;
      if (!matchesConditions(sub.conditions, row, columns)) continue;
      if (!ids.includes(sub.id)) ids.push(sub.id);
    }
    return ids;
  }

  dispose(): void {
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
  }
}
