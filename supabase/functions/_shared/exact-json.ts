/**
 * JSON with exact int64s. Typesense keeps int64 values exact (up to 2^63 − 1), but `JSON.parse` rounds
 * integers beyond 2^53 (9007199254740993 → 9007199254740992). Parsing with the reviver's source text
 * (ES2025 "JSON.parse source text access", Node ≥ 21) keeps such an integer as a raw JSON number, which
 * `JSON.stringify` writes back digit for digit; safe integers and other numbers stay plain numbers.
 */

/** A raw JSON number: what `JSON.rawJSON` returns (frozen, null prototype, one `rawJSON` property). */
export type RawJsonNumber = { readonly rawJSON: string };

type JsonWithSource = {
  rawJSON(text: string): RawJsonNumber;
  isRawJSON(value: unknown): value is RawJsonNumber;
  parse(
    text: string,
    reviver: (this: unknown, key: string, value: unknown, context: { source?: string }) => unknown,
  ): unknown;
};
const json = JSON as unknown as JsonWithSource;

const INTEGER = /^-?\d+$/;
/**
 * Every integer beyond 2^53 has at least 16 digits. Text without such a run cannot hold one, and is parsed
 * by plain `JSON.parse`: a reviver visits every value (a 250-document page has ~10,000), which costs the
 * worker CPU and garbage on every page for keys that are almost always small.
 */
const MAYBE_UNSAFE_INTEGER = /\d{16}/;

export function parseExactJson(text: string): unknown {
  if (!MAYBE_UNSAFE_INTEGER.test(text)) return JSON.parse(text);
  return json.parse(text, (_key, value, context) =>
    typeof value === 'number' &&
    !Number.isSafeInteger(value) &&
    context.source !== undefined &&
    INTEGER.test(context.source)
      ? json.rawJSON(context.source)
      : value,
  );
}

export function isRawJsonNumber(value: unknown): value is RawJsonNumber {
  return json.isRawJSON(value);
}

/** The integer a JSON value holds exactly, or undefined when it is not an integer. */
export function exactInteger(value: unknown): bigint | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : undefined;
  if (isRawJsonNumber(value)) return BigInt(value.rawJSON);
  return undefined;
}

/**
 * The same JSON text with every integer beyond 2^53 turned into a decimal string
 * (`{"key":9007199254740993}` → `{"key":"9007199254740993"}`); everything else is unchanged in value.
 * For clients that parse with `JSON.parse` and cannot be told otherwise (supabase-js): a bigint column
 * then arrives as a number when it is safe and as exact digits when it is not, never rounded.
 */
export function unsafeIntegersAsStrings(text: string): string {
  if (!MAYBE_UNSAFE_INTEGER.test(text)) return text;
  let changed = false;
  const value = json.parse(text, (_key, v, context) => {
    if (
      typeof v === 'number' &&
      !Number.isSafeInteger(v) &&
      context.source !== undefined &&
      INTEGER.test(context.source)
    ) {
      changed = true;
      return context.source;
    }
    return v;
  });
  return changed ? JSON.stringify(value) : text;
}

/**
 * A `fetch` for supabase-js: JSON answers pass through `unsafeIntegersAsStrings`, so the keys and counts
 * PostgREST sends as bare bigint numbers are never rounded. Other answers (storage objects) are untouched.
 */
export function exactJsonFetch(base: typeof fetch = fetch): typeof fetch {
  return async (input, init) => {
    const response = await base(input, init);
    const type = response.headers.get('content-type') ?? '';
    if (!/\bjson\b/.test(type) || /ndjson/.test(type) || response.body === null) return response;
    const text = await response.text();
    let rewritten = text;
    try {
      rewritten = unsafeIntegersAsStrings(text);
    } catch {
      // Not JSON after all: pass it on as it came.
    }
    return new Response(rewritten, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}

/** An integer a JSON value holds exactly: a safe number, a raw JSON number, or a decimal string. */
export function integerOf(value: unknown): bigint | undefined {
  if (typeof value === 'string') return /^-?\d{1,20}$/.test(value) ? BigInt(value) : undefined;
  if (typeof value === 'bigint') return value;
  return exactInteger(value);
}
