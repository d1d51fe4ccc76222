import { describe, expect, it } from 'vitest';
import Serializer from '@supabase/realtime-js/dist/module/lib/serializer.js';
import { decodeText, encode, encodeUserBroadcast } from './phoenix-serializer';

describe('phoenix serializer', () => {
  it('decodes vsn 2.0.0 arrays as realtime-js sends them', () => {
    expect(decodeText('2.0.0', '[null,"7","phoenix","heartbeat",{}]')).toEqual({
      joinRef: null,
      ref: '7',
      topic: 'phoenix',
      event: 'heartbeat',
      payload: {},
    });
  });

  it('decodes vsn 1.0.0 objects, with join_ref optional', () => {
    expect(decodeText('1.0.0', '{"topic":"phoenix","event":"heartbeat","payload":{},"ref":"7"}')).toEqual({
      joinRef: null,
      ref: '7',
      topic: 'phoenix',
      event: 'heartbeat',
      payload: {},
    });
  });

  it('returns null for malformed frames instead of throwing', () => {
    for (const text of ['', 'nope', '[1,2]', '{"topic":1}', '[null,null,"t"]', 'null', '[null,null,5,"e",{}]']) {
      expect(decodeText('2.0.0', text)).toBeNull();
    }
    expect(decodeText('1.0.0', '["6","6","t","e",{}]')).toBeNull();
  });

  it('encodes replies in either version', () => {
    const message = {
      joinRef: '6',
      ref: '8',
      topic: 'realtime:x',
      event: 'phx_reply',
      payload: { status: 'ok', response: {} },
    };
    expect(JSON.parse(encode('2.0.0', message))).toEqual([
      '6',
      '8',
      'realtime:x',
      'phx_reply',
      { status: 'ok', response: {} },
    ]);
    expect(JSON.parse(encode('1.0.0', message))).toEqual({
      topic: 'realtime:x',
      event: 'phx_reply',
      payload: { status: 'ok', response: {} },
      ref: '8',
      join_ref: '6',
    });
  });

  it('encodes a server broadcast (binary kind 4) that realtime-js decodes into type, event, meta and payload', () => {
    const frame = encodeUserBroadcast('realtime:export:1', 'UPDATE', { id: 'm-1' }, { record: { id: 1, n: 'é' } });
    let decoded: unknown;
    const bytes = frame.buffer.slice(frame.byteOffset, frame.byteOffset + frame.byteLength);
    new Serializer().decode(bytes as ArrayBuffer, (message: unknown) => (decoded = message));
    expect(decoded).toEqual({
      join_ref: null,
      ref: null,
      topic: 'realtime:export:1',
      event: 'broadcast',
      payload: { type: 'broadcast', event: 'UPDATE', meta: { id: 'm-1' }, payload: { record: { id: 1, n: 'é' } } },
    });
  });
});
