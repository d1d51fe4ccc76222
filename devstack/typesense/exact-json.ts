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

export function parseExactJson(text: string): unknown {
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
