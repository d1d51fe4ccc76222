import type Typesense from 'typesense';
import { createExactJsonAdapter } from './exact-json-adapter.ts';

type ConfigurationOptions = ConstructorParameters<typeof Typesense.Client>[0];

/**
 * Typesense as a cluster: `TYPESENSE_URL` holds one node's URL or several, comma-separated (Typesense
 * Cloud HA: its three nodes). The official client sends each request to the next healthy node in turn
 * and, when one fails (connection refused, timeout, 5xx), marks it unhealthy for a while and retries the
 * request on the next — so a dead node costs one failed connection per process, not an export.
 */
export function parseTypesenseNodes(list: string): Array<{ host: string; port: number; protocol: string }> {
  const urls = list
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  if (urls.length === 0) throw new Error('TYPESENSE_URL needs at least one node URL');
  return urls.map((text) => {
    const url = new URL(text);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`Not an http(s) URL: ${text}`);
    return {
      host: url.hostname,
      port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
      protocol: url.protocol.replace(':', ''),
    };
  });
}

/** A node list that parses, for zod: `z.string().refine(isTypesenseNodeList, …)`. */
export function isTypesenseNodeList(list: string): boolean {
  try {
    parseTypesenseNodes(list);
    return true;
  } catch {
    return false;
  }
}

/** Client options shared by the worker and the app: every node, in order, with failover between them. */
export function typesenseClientOptions(
  list: string,
  apiKey: string,
  tuning: {
    connectionTimeoutSeconds: number;
    retriesPerNode: number;
    /** Runs each answer's JSON parse (the worker times it: cpu-meter.ts). */
    timeParse?: <T>(parse: () => T) => T;
  },
): ConfigurationOptions {
  const nodes = parseTypesenseNodes(list);
  return {
    nodes,
    apiKey,
    // In order: the first node is the preferred one; the others are there to fail over to.
    randomizeNodes: false,
    connectionTimeoutSeconds: tuning.connectionTimeoutSeconds,
    // Each retry goes to the next healthy node, so every node gets its chance before a request fails.
    numRetries: nodes.length * tuning.retriesPerNode,
    retryIntervalSeconds: 0.05,
    // A failed node is skipped for this long, then tried again.
    healthcheckIntervalSeconds: 15,
    logLevel: 'silent',
    // Over fetch, with exact int64s (keys above 2^53): see exact-json-adapter.ts.
    axiosAdapter: createExactJsonAdapter(tuning.timeParse) as unknown as ConfigurationOptions['axiosAdapter'],
  };
}
