import { parseExactJson } from './exact-json.ts';

/**
 * An axios adapter for typesense-js over `fetch` (Web APIs only: the worker in Deno and the app in Node
 * both use it) that parses JSON answers with exact int64s. typesense-js parses with `JSON.parse`, which
 * rounds a key above 2^53 (9007199254740993 → 9007199254740992): the export would then page past the
 * wrong record. Here an integer beyond 2^53 arrives as a raw JSON number (`JSON.rawJSON`), which the
 * encoders write back digit for digit; typesense-js leaves an already-parsed body alone.
 *
 * Typed structurally (axios is typesense-js's dependency, not ours): the fields axios hands an adapter.
 */
type AdapterConfig = {
  url?: string;
  baseURL?: string;
  method?: string;
  params?: Record<string, unknown>;
  headers?: unknown;
  data?: unknown;
  timeout?: number;
  signal?: unknown;
  responseType?: string;
  validateStatus?: ((status: number) => boolean) | null;
};

type AdapterResponse = {
  data: unknown;
  status: number;
  statusText: string;
  headers: Record<string, string>;
  config: AdapterConfig;
  request: Record<string, never>;
};

function headerRecord(headers: unknown): Record<string, string> {
  const source =
    headers && typeof (headers as { toJSON?: unknown }).toJSON === 'function'
      ? (headers as { toJSON: () => Record<string, unknown> }).toJSON()
      : ((headers ?? {}) as Record<string, unknown>);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(source)) {
    if (value === undefined || value === null || value === false) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}

function urlOf(config: AdapterConfig): string {
  const url = new URL(config.url ?? '', config.baseURL);
  for (const [name, value] of Object.entries(config.params ?? {})) {
    if (value === undefined || value === null) continue;
    url.searchParams.append(name, Array.isArray(value) ? value.join(',') : String(value));
  }
  return url.toString();
}

/**
 * The adapter; `timeParse` runs the JSON parse of an answer (the export worker times it for its CPU
 * estimate: a 250-record page is ~0.7 MB of JSON, ~4 ms of CPU).
 */
export function createExactJsonAdapter(
  timeParse: <T>(parse: () => T) => T = (parse) => parse(),
): (config: AdapterConfig) => Promise<AdapterResponse> {
  return (config) => adapt(config, timeParse);
}

export const exactJsonAdapter = createExactJsonAdapter();

async function adapt(config: AdapterConfig, timeParse: <T>(parse: () => T) => T): Promise<AdapterResponse> {
  if (config.responseType === 'stream' || config.responseType === 'arraybuffer') {
    throw new Error(`exactJsonAdapter: responseType "${config.responseType}" is not supported`);
  }
  const signals: AbortSignal[] = [];
  if (config.signal instanceof AbortSignal) signals.push(config.signal);
  if (config.timeout && config.timeout > 0) signals.push(AbortSignal.timeout(config.timeout));
  const method = (config.method ?? 'get').toUpperCase();
  const response = await fetch(urlOf(config), {
    method,
    headers: headerRecord(config.headers),
    body: method === 'GET' || method === 'HEAD' || config.data === undefined ? undefined : (config.data as BodyInit),
    signal: signals.length > 0 ? AbortSignal.any(signals) : undefined,
  });
  const text = await response.text();
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  let data: unknown = text;
  if ((headers['content-type'] ?? '').startsWith('application/json') && text !== '') {
    try {
      data = timeParse(() => parseExactJson(text));
    } catch {
      data = text;
    }
  }
  const result: AdapterResponse = {
    data,
    status: response.status,
    statusText: response.statusText,
    headers,
    config,
    request: {},
  };
  if (config.validateStatus && !config.validateStatus(response.status)) {
    throw Object.assign(new Error(`Request failed with status code ${response.status}`), { response: result });
  }
  return result;
}
