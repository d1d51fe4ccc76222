import { stringify } from 'csv-stringify/sync';
import { describe, expect, it } from 'vitest';
import { encodeCsvHeader, encodeShard, type ExportDocument } from './export-format.ts';

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe('encodeShard (CSV)', () => {
  const fields = ['hs_object_id', 'title', 'tags', 'meta'];
  const csv = { format: 'csv' as const, fields, neutraliseFormulas: true };

  it('writes the header, then one CRLF-terminated row per document, quoting per RFC 4180', () => {
    const docs: ExportDocument[] = [
      { hs_object_id: 1, title: 'Plain', tags: ['a', 'b'], meta: { x: 1 } },
      { hs_object_id: 2, title: 'Comma, "quote"\r\nnew line', tags: [], meta: null },
    ];
    const shard = encodeShard(docs, csv);
    expect(decode(shard.bytes)).toBe(
      'hs_object_id,title,tags,meta\r\n' +
        '1,Plain,"[""a"",""b""]","{""x"":1}"\r\n' +
        '2,"Comma, ""quote""\r\nnew line",[],\r\n',
    );
    expect(shard.rows).toBe(2);
    expect(shard.headerBytes).toBe('hs_object_id,title,tags,meta\r\n'.length);
  });

  it('quotes a lone LF or CR, not only CRLF', () => {
    const shard = encodeShard([{ hs_object_id: 1, title: 'a\nb', tags: 'c\rd' }], csv);
    expect(decode(shard.bytes).split('\r\n')[1]).toBe('1,"a\nb","c\rd",');
  });

  it('keeps the column list fixed: missing fields are empty cells, extra fields are dropped', () => {
    const shard = encodeShard([{ hs_object_id: 3, unexpected: 'x' }], csv);
    expect(decode(shard.bytes).split('\r\n')[1]).toBe('3,,,');
  });

  it('neutralises formula triggers (= + - @ tab CR) unless the job turns it off', () => {
    const docs = ['=SUM(A1)', '+1', '-2', '@cmd', '\tx', '\rx', 'safe'].map((title, i) => ({ hs_object_id: i, title }));
    const on = decode(encodeShard(docs, { ...csv, fields: ['title'] }).bytes)
      .split('\r\n')
      .slice(1, -1);
    expect(on).toEqual(["'=SUM(A1)", "'+1", "'-2", "'@cmd", "'\tx", `"'\rx"`, 'safe']);
    const off = decode(encodeShard(docs, { ...csv, fields: ['title'], neutraliseFormulas: false }).bytes);
    expect(off).toContain('\r\n=SUM(A1)\r\n');
  });

  it('guards text only: numbers and booleans, negative keys included, are written as numbers', () => {
    const docs = [
      { hs_object_id: -7, title: '-12.5', score: -12.5, ok: false, n: '+1' },
      { hs_object_id: -9007199254740993n, title: '=1+1', score: -0.5, ok: true, n: 3 },
    ];
    const text = decode(encodeShard(docs, { ...csv, fields: ['hs_object_id', 'title', 'score', 'ok', 'n'] }).bytes);
    expect(text.split('\r\n').slice(1, -1)).toEqual([
      "-7,'-12.5,-12.5,false,'+1",
      "-9007199254740993,'=1+1,-0.5,true,3",
    ]);
  });

  it('keeps non-Latin scripts and emoji as UTF-8', () => {
    const shard = encodeShard([{ hs_object_id: 1, title: 'ブログ 📈 مرحبا' }], csv);
    expect(decode(shard.bytes)).toContain('ブログ 📈 مرحبا');
    expect(shard.bytes.length).toBe(new TextEncoder().encode(decode(shard.bytes)).length);
  });

  it('writes the same bytes as csv-stringify (RFC 4180, CRLF, any line break quoted) on hostile text', () => {
    const alphabet = ['a', ',', '"', '\r', '\n', '\r\n', ' ', '=', '-', '\t', 'ß', '📈', "'", ';', ''];
    let seed = 7;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const docs = Array.from({ length: 500 }, (_, i) => ({
      hs_object_id: i,
      title: Array.from(
        { length: Math.floor(random() * 8) },
        () => alphabet[Math.floor(random() * alphabet.length)],
      ).join(''),
      tags: random() < 0.5 ? ['x,"y"', 'z\n'] : [],
      meta: random() < 0.3 ? null : { note: 'a"b' },
    }));
    for (const neutraliseFormulas of [true, false]) {
      const ours = decode(encodeShard(docs, { ...csv, neutraliseFormulas }).bytes);
      const cell = (v: unknown) => {
        const text =
          v === null || v === undefined
            ? ''
            : typeof v === 'string'
              ? v
              : typeof v === 'number'
                ? String(v)
                : JSON.stringify(v);
        return neutraliseFormulas && typeof v === 'string' && /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
      };
      const library = stringify([fields, ...docs.map((d) => fields.map((f) => cell((d as ExportDocument)[f])))], {
        record_delimiter: 'windows',
        quoted_match: /[\r\n]/,
      });
      expect(ours).toBe(library);
    }
  });

  it('merging shards without their headers equals one single-pass encoding', () => {
    const docs = Array.from({ length: 1000 }, (_, i) => ({ hs_object_id: i, title: `t,"${i}"\n`, tags: [String(i)] }));
    const single = decode(encodeShard(docs, csv).bytes);
    let merged = '';
    for (let start = 0; start < docs.length; start += 250) {
      const shard = encodeShard(docs.slice(start, start + 250), csv);
      merged += decode(start === 0 ? shard.bytes : shard.bytes.subarray(shard.headerBytes));
    }
    expect(merged).toBe(single);
  });

  it('encodes the header alone for an empty export', () => {
    expect(encodeCsvHeader(['a', 'b,c'])).toBe('a,"b,c"\r\n');
  });
});

describe('encodeShard (NDJSON)', () => {
  it('writes one object per line with exactly the job fields, null for missing', () => {
    const shard = encodeShard([{ hs_object_id: 1, title: 'x\ny', extra: true }, { hs_object_id: 2 }], {
      format: 'ndjson',
      fields: ['hs_object_id', 'title'],
      neutraliseFormulas: true,
    });
    expect(decode(shard.bytes)).toBe('{"hs_object_id":1,"title":"x\\ny"}\n{"hs_object_id":2,"title":null}\n');
    expect(shard.headerBytes).toBe(0);
  });
});
