import { describe, expect, it } from 'vitest';
import { decodeBinary, decodeText, encode } from './phoenix-serializer';

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

  it('decodes the captured binary kind-3 broadcast push', () => {
    const topic = 'realtime:room';
    const parts = [
      Buffer.from([3, 1, 1, topic.length, 5, 0, 1]),
      Buffer.from('67'),
      Buffer.from(topic),
      Buffer.from('hello'),
      Buffer.from('{"x":1}'),
    ];
    expect(decodeBinary(Buffer.concat(parts))).toEqual({
      joinRef: '6',
      ref: '7',
      topic,
      userEvent: 'hello',
      payload: { kind: 'json', value: { x: 1 } },
    });
  });

  it('rejects truncated or unknown binary frames', () => {
    expect(decodeBinary(Buffer.from([3, 1, 1, 50, 5, 0, 1, 0x36]))).toBeNull();
    expect(decodeBinary(Buffer.from([4, 0, 0, 0, 0, 0, 1]))).toBeNull();
    expect(decodeBinary(Buffer.from([]))).toBeNull();
  });
});
