import { describe, expect, it } from 'vitest';
import { isTypesenseNodeList, parseTypesenseNodes, typesenseClientOptions } from './typesense-nodes.ts';

describe('Typesense node lists', () => {
  it('parses one node or several, comma-separated, with default ports', () => {
    expect(parseTypesenseNodes('http://127.0.0.1:8108')).toEqual([{ host: '127.0.0.1', port: 8108, protocol: 'http' }]);
    expect(parseTypesenseNodes(' https://a.example.net , https://b.example.net:8443,')).toEqual([
      { host: 'a.example.net', port: 443, protocol: 'https' },
      { host: 'b.example.net', port: 8443, protocol: 'https' },
    ]);
  });

  it('refuses what is not a list of http(s) URLs', () => {
    expect(isTypesenseNodeList('')).toBe(false);
    expect(isTypesenseNodeList('localhost:8108')).toBe(false);
    expect(isTypesenseNodeList('ftp://x')).toBe(false);
    expect(isTypesenseNodeList('http://a,http://b')).toBe(true);
  });

  it('gives every node its retries, in order', () => {
    const options = typesenseClientOptions('http://a,http://b,http://c', 'k', {
      connectionTimeoutSeconds: 10,
      retriesPerNode: 1,
    });
    expect(options).toMatchObject({ randomizeNodes: false, numRetries: 3 });
  });
});
