import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * A service mounted under a prefix of the API port (`/rest/v1`, `/storage/v1`, …).
 * `subpath` is the request path after the prefix, always starting with `/`; `url` is the full URL.
 */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse, subpath: string, url: URL) => Promise<void>;
