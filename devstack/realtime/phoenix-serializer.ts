import { z } from 'zod';

/**
 * Phoenix socket framing as realtime-js speaks it (protocols.md §1.2): vsn 2.0.0 sends JSON arrays
 * `[join_ref, ref, topic, event, payload]` plus binary broadcast frames; vsn 1.0.0 sends JSON objects.
 */
export type Vsn = '1.0.0' | '2.0.0';

export type PhoenixMessage = {
  joinRef: string | null;
  ref: string | null;
  topic: string;
  event: string;
  payload: unknown;
};

/** A decoded client broadcast (binary kind 3 in vsn 2.0.0). */
export type BinaryBroadcast = {
  joinRef: string;
  ref: string;
  topic: string;
  userEvent: string;
  /** Parsed JSON payload, or the raw bytes when the client sent binary (encoding 0). */
  payload: { kind: 'json'; value: unknown } | { kind: 'binary'; value: Uint8Array };
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

const USER_BROADCAST_PUSH = 3;
const HEADER_BYTES = 7;

/**
 * Decodes a vsn 2.0.0 binary frame. Only kind 3 ("user broadcast push") is sent by clients;
 * anything else, or a frame whose lengths do not add up, is `null`.
 */
export function decodeBinary(data: Uint8Array): BinaryBroadcast | null {
  if (data.length < HEADER_BYTES || data[0] !== USER_BROADCAST_PUSH) return null;
  const lengths = Array.from(data.subarray(1, 6));
  const [joinRefLen = 0, refLen = 0, topicLen = 0, eventLen = 0, metaLen = 0] = lengths;
  const encoding = data[6];
  const bodyStart = HEADER_BYTES + joinRefLen + refLen + topicLen + eventLen + metaLen;
  if (bodyStart > data.length) return null;
  const decoder = new TextDecoder();
  let offset = HEADER_BYTES;
  const take = (length: number): string => {
    const text = decoder.decode(data.subarray(offset, offset + length));
    offset += length;
    return text;
  };
  const joinRef = take(joinRefLen);
  const msgRef = take(refLen);
  const topic = take(topicLen);
  const userEvent = take(eventLen);
  take(metaLen);
  const body = data.subarray(bodyStart);
  if (encoding === 0) return { joinRef, ref: msgRef, topic, userEvent, payload: { kind: 'binary', value: body } };
  try {
    const value: unknown = JSON.parse(decoder.decode(body));
    return { joinRef, ref: msgRef, topic, userEvent, payload: { kind: 'json', value } };
  } catch {
    return null;
  }
}
