import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodeShard } from '@/supabase/functions/_shared/export-format.ts';
import { gzipShard } from '@/supabase/functions/_shared/gzip-shard.ts';
import { planDownload, type ShardObject } from './download-plan';
import { readVerifiedShard, ShardIntegrityError, type OpenObject } from './read-verified-shard';
import type { FileShard } from './read-file-manifest';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const fields = ['id', 'title'];
const job = { id: 'job-1', format: 'csv' as const, fields };

/** Three CSV shards stored as gzip members, as the worker writes them, and their objects. */
function gzipExport() {
  const objects: Record<string, Uint8Array> = {};
  const shards: FileShard[] = [];
  let plain = '';
  for (let n = 1; n <= 3; n += 1) {
    const docs = Array.from({ length: 20 }, (_, i) => ({ id: n * 100 + i, title: `Title ${n}-${i}, "q" 日本` }));
    const encoded = encodeShard(docs, { format: 'csv', fields, neutraliseFormulas: true });
    const gz = gzipShard(encoded);
    objects[`s${n}`] = gz.bytes;
    plain += new TextDecoder().decode(n === 1 ? encoded.bytes : encoded.bytes.subarray(encoded.headerBytes));
    shards.push({
      shard_no: n,
      storage_key: `s${n}`,
      bytes: encoded.bytes.length,
      header_bytes: encoded.headerBytes,
      sha256: sha(encoded.bytes),
      encoding: 'gzip',
      gzip_bytes: gz.bytes.length,
      gzip_header_bytes: gz.headerBytes,
      gzip_sha256: sha(gz.bytes),
      generation: 1,
      attempt: 1,
    });
  }
  return { objects, shards, plain };
}

const store =
  (objects: Record<string, Uint8Array>): OpenObject =>
  async (key) =>
    objects[key] ? new Blob([objects[key] as Uint8Array<ArrayBuffer>]).stream() : 'missing';

async function assemble(plan: ReturnType<typeof planDownload>, objects: Record<string, Uint8Array>) {
  const parts: Uint8Array[] = [];
  for (const segment of plan.segments) {
    if (segment.kind === 'literal') parts.push(segment.bytes);
    else {
      const chunks = await readVerifiedShard(segment.object, store(objects), new AbortController().signal);
      parts.push(Buffer.concat(chunks).subarray(segment.skip));
    }
  }
  return Buffer.concat(parts);
}

describe('gzip-stored shards', () => {
  it('plans the .gz file as the members concatenated, each later header member skipped: gunzip gives the plain file', async () => {
    const { objects, shards, plain } = gzipExport();
    const gz = planDownload(job, shards, 'gzip');
    const file = await assemble(gz, objects);
    expect(file.length).toBe(gz.size);
    expect(gz.size).toBe(shards.reduce((sum, s, i) => sum + s.gzip_bytes! - (i === 0 ? 0 : s.gzip_header_bytes!), 0));
    expect(gunzipSync(file).toString()).toBe(plain);
  });

  it('plans the plain and Excel files from the same objects, inflated, with the plain sizes and their own ETags', async () => {
    const { objects, shards, plain } = gzipExport();
    const plainPlan = planDownload(job, shards, 'plain');
    expect((await assemble(plainPlan, objects)).toString()).toBe(plain);
    expect(plainPlan.size).toBe(Buffer.byteLength(plain));
    const excel = planDownload(job, shards, 'excel');
    expect(excel.size).toBe(plainPlan.size + 3);
    const etags = new Set([plainPlan.etag, excel.etag, planDownload(job, shards, 'gzip').etag]);
    expect(etags.size).toBe(3);
  });

  it('has no .gz form for shards stored plain; an export with no rows has a valid .gz', () => {
    const { shards } = gzipExport();
    const legacy: FileShard = {
      ...shards[0]!,
      encoding: 'identity',
      gzip_bytes: null,
      gzip_header_bytes: null,
      gzip_sha256: null,
    };
    expect(() => planDownload(job, [legacy, shards[1]!], 'gzip')).toThrow(/before shards were stored compressed/);
    const empty = planDownload(job, [], 'gzip');
    const header = empty.segments[0];
    expect(header?.kind === 'literal' && gunzipSync(header.bytes).toString()).toBe('id,title\r\n');
    const emptyNdjson = planDownload({ ...job, format: 'ndjson' }, [], 'gzip').segments[0];
    expect(emptyNdjson?.kind === 'literal' && gunzipSync(emptyNdjson.bytes).length).toBe(0);
    expect(planDownload({ ...job, format: 'ndjson' }, [], 'plain').size).toBe(0);
  });

  it('refuses an object that is intact as stored but inflates to other bytes than the manifest says', async () => {
    const other = gzipSync(Buffer.from('h,x\r\n9,z\r\n'));
    const object: ShardObject = {
      shardNo: 4,
      storageKey: 'k',
      bytes: 10,
      sha256: sha(Buffer.from('h,x\r\n1,a\r\n')),
      stored: { encoding: 'gzip', bytes: other.length, sha256: sha(other) },
      generation: 1,
      attempt: 2,
    };
    const error = await readVerifiedShard(object, store({ k: other }), new AbortController().signal).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ShardIntegrityError);
    expect((error as ShardIntegrityError).problem).toMatchObject({ shardNo: 4, attempt: 2, kind: 'checksum_mismatch' });

    const notGzip = Buffer.from('not gzip at all');
    const broken = { ...object, stored: { encoding: 'gzip' as const, bytes: notGzip.length, sha256: sha(notGzip) } };
    await expect(readVerifiedShard(broken, store({ k: notGzip }), new AbortController().signal)).rejects.toThrow(
      /does not decompress/,
    );
  });
});
