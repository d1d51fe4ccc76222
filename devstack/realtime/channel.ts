import { z } from 'zod';
import type { SupabaseClaims } from '../jwt';

/** `phx_join` payload (realtime-js RealtimeChannel.subscribe; server payloads/join.ex). */
export const joinPayloadSchema = z
  .object({
    config: z
      .object({
        broadcast: z.object({}).passthrough().optional(),
        presence: z.object({}).passthrough().optional(),
        postgres_changes: z.array(z.unknown()).optional(),
        private: z.unknown().optional(),
      })
      .passthrough()
      .optional(),
    access_token: z.string().nullable().optional(),
    user_token: z.string().nullable().optional(),
  })
  .passthrough();

/** The server accepts booleans as strings too (FlexibleBoolean). */
export function flexibleBoolean(value: unknown): boolean {
  return value === true || value === 'true';
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
    /** Private channels receive only `private = true` messages, public ones only the others. */
    readonly isPrivate: boolean,
  ) {
    this.subTopic = topic.slice('realtime:'.length);
  }

  dispose(): void {
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
  }
}
