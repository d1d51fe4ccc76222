/**
 * An error the Typesense stand-in answers with `{"message": …}` and the given status, exactly like the
 * real server's `Option<T>(code, message)` (`include/http_data.h`). Anything else thrown is a 500.
 */
export class TypesenseError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'TypesenseError';
  }
}

export const collectionNotFound = (): TypesenseError => new TypesenseError(404, 'Collection not found');
