import { Buffer } from 'node:buffer';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodeShard } from './export-format.ts';
import { gzipShard } from './gzip-shard.ts';

const fields = ['id', 'title'];
const docs = (from: number) =>
  Array.from({ length: 50 }, (_, i) => ({ id: from + i, title: `Post ${from + i}, "quoted" – 日本語 🎉` }));

describe('gzipShard', () => {
  it('stores a CSV shard as a header member and a rows member: dropping later headers gives the plain file', () => {
    const shards = [
      encodeShard(docs(0), { format: 'csv', fields, neutraliseFormulas: true }),
      encodeShard(docs(50), { format: 'csv', fields, neutraliseFormulas: true }),
    ];
    const gz = shards.map(gzipShard);
    expect(gunzipSync(gz[0]!.bytes.subarray(0, gz[0]!.headerBytes)).toString()).toBe('id,title\r\n');
    const file = Buffer.concat([gz[0]!.bytes, gz[1]!.bytes.subarray(gz[1]!.headerBytes)]);
    const plain = Buffer.concat([shards[0]!.bytes, shards[1]!.bytes.subarray(shards[1]!.headerBytes)]);
    expect(gunzipSync(file).equals(plain)).toBe(true);
  });

  it('stores an NDJSON shard as one member, deterministically', () => {
    const shard = encodeShard(docs(0), { format: 'ndjson', fields, neutraliseFormulas: true });
    const gz = gzipShard(shard);
    expect(gz.headerBytes).toBe(0);
    expect(gunzipSync(gz.bytes).equals(Buffer.from(shard.bytes))).toBe(true);
    expect(Buffer.from(gzipShard(shard).bytes).equals(Buffer.from(gz.bytes))).toBe(true);
    expect(gz.bytes.length).toBeLessThan(shard.bytes.length / 4);
  });
});
