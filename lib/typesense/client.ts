import Typesense from 'typesense';
import { serverEnv } from '@/lib/env/server';

/** Typesense client for route handlers and server components; the API key never reaches the browser. */
export function createTypesenseClient() {
  const url = new URL(serverEnv().TYPESENSE_URL);
  return new Typesense.Client({
    nodes: [
      {
        host: url.hostname,
        port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
        protocol: url.protocol.replace(':', ''),
      },
    ],
    apiKey: serverEnv().TYPESENSE_API_KEY,
    connectionTimeoutSeconds: 10,
    numRetries: 2,
  });
}
