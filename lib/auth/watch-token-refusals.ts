import { decodeProtectedHeader } from 'jose';
import { reportRefusedAccessToken } from './check-access-token';

/** RFC 6750 §3.1: what PostgREST sends with the 401 for a JWT it does not accept. */
const INVALID_TOKEN = /\berror="invalid_token"/;

/**
 * The fetch of a Supabase client acting with a user's token. The app verified the token, but its key
 * may have been revoked since the app last read the JWKS; PostgREST knows at once and answers 401.
 * The refused token's key is then distrusted here too (check-access-token.ts), so the next request
 * with it is refused before it reaches a service, and `onRefused` lets the caller answer 401.
 */
export function watchTokenRefusals(inner: typeof fetch, onRefused: () => void = () => {}): typeof fetch {
  return async (input, init) => {
    const response = await inner(input, init);
    if (response.status === 401 && INVALID_TOKEN.test(response.headers.get('www-authenticate') ?? '')) {
      const kid = kidOf(new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined)));
      if (kid) reportRefusedAccessToken(kid);
      onRefused();
    }
    return response;
  };
}

function kidOf(headers: Headers): string | undefined {
  const token = /^Bearer\s+(.+)$/i.exec(headers.get('authorization') ?? '')?.[1];
  try {
    const { kid } = decodeProtectedHeader(token ?? '');
    return typeof kid === 'string' ? kid : undefined;
  } catch {
    return undefined;
  }
}
