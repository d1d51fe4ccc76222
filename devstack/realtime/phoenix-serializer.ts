import { z } from 'zod';

/**
 * Phoenix socket framing as realtime-js speaks it (docs/protocols.md §1.2): vsn 2.0.0 sends JSON arrays
 * `[join_ref, ref, topic, event, payload]` plus binary broadcast frames; vsn 1.0.0 sends JSON objects.
 * Binary frames from clients (client-side broadcasts) are not read: Baton's clients never send any.
 */
export type Vsn = '1.0.0' | '2.0.0';

export type PhoenixMessage = {
  joinRef: string | null;
  ref: string | null;
  topic: string;
  event: string;
  payload: unknown;
};

// Refs are strings in realtime-js, but Phoenix clients elsewhere send numbers; accept both rather
// than drop a frame whose only fault is the ref type.
const ref = z.union([z.string(), z.number().transform(String)]).nullable();

const v2Frame = z.tuple([ref, ref, z.string(), z.string(), z.unknown()]);

const v1Frame = z.object({
  join_ref: ref.optional(),
  ref: ref.optional(),
  topic: z.string(),
  event: z.string(),
  payload: z.unknown(),
});

/** Parses a text frame; `null` means malformed (the caller ignores it rather than dropping the socket). */
export function decodeText(vsn: Vsn, text: string): PhoenixMessage | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  if (vsn === '2.0.0') {
    const parsed = v2Frame.safeParse(json);
    if (!parsed.success) return null;
    const [joinRef, msgRef, topic, event, payload] = parsed.data;
    return { joinRef, ref: msgRef, topic, event, payload };
  }
  const parsed = v1Frame.safeParse(json);
  if (!parsed.success) return null;
  const { join_ref, ref: msgRef, topic, event, payload } = parsed.data;
  return { joinRef: join_ref ?? null, ref: msgRef ?? null, topic, event, payload };
}

export function encode(vsn: Vsn, message: PhoenixMessage): string {
  if (vsn === '2.0.0') {
    return JSON.stringify([message.joinRef, message.ref, message.topic, message.event, message.payload]);
  }
  return JSON.stringify({
    topic: message.topic,
    event: message.event,
    payload: message.payload,
    ref: message.ref,
    join_ref: message.joinRef,
  });
}

const USER_BROADCAST = 4;
const JSON_ENCODING = 1;

/**
 * A server-to-client broadcast as vsn 2.0.0 frames it (binary kind 4, `v2_serializer.ex fastlane!`):
 * kind, topic / event / metadata lengths, payload encoding, then the bytes. realtime-js hands the
 * metadata to the callback as `meta` (`{"id": <message id>}` for Broadcast from Database).
 */
export function encodeUserBroadcast(topic: string, event: string, meta: unknown, payload: unknown): Buffer {
  const parts = [topic, event, JSON.stringify(meta)].map((text) => Buffer.from(text, 'utf8'));
  const [topicBytes, eventBytes, metaBytes] = parts as [Buffer, Buffer, Buffer];
  for (const part of parts) if (part.length > 255) throw new Error('broadcast header field over 255 bytes');
  const header = Buffer.from([USER_BROADCAST, topicBytes.length, eventBytes.length, metaBytes.length, JSON_ENCODING]);
  return Buffer.concat([header, topicBytes, eventBytes, metaBytes, Buffer.from(JSON.stringify(payload), 'utf8')]);
}
