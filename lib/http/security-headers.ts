/**
 * The security headers of every response the proxy sees (pages, API routes, the download): one place that
 * decides what a browser may load, who may frame Baton, and what it may leak in a Referer.
 */

/** A page renders HTML that runs scripts; an API response (JSON or a file) should run nothing at all. */
export type ResponseKind = 'page' | 'api';

export type SecurityHeaderOptions = {
  kind: ResponseKind;
  /** Fresh per request (`createNonce()`): Next.js reads it back from the request's policy for its scripts. */
  nonce: string;
  /** `NEXT_PUBLIC_SUPABASE_URL`: the browser talks to Supabase's REST, Auth and Realtime there. */
  supabaseUrl: string;
  /** `NODE_ENV`: `next dev` is 'development', `next build`/`next start` 'production'. */
  environment: string;
};

/**
 * sha256 of the stylesheet sonner (the toasts) inserts as a `<style>` element when it loads. It sets no
 * nonce, so its one stylesheet is allowed by hash; `security-headers.test.ts` recomputes the hash from the
 * installed sonner, so an upgrade that changes its CSS fails there rather than leaving toasts unstyled.
 */
const SONNER_STYLESHEET_HASH = "'sha256-StEaX+se6YS7pqjzrzMIA0KaX9zF/8zAhvQXZAe5epY='";
/**
 * sha256 of the empty string. sonner appends its `<style>` empty and fills it in afterwards; Chromium checks
 * the policy at both steps, so without this the first (harmless, empty) step is reported as a violation.
 */
const EMPTY_STYLESHEET_HASH = "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='";

/** An API response is data: nothing in it may load or run, and no page may frame it. */
const API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** 128 random bits, base64: unguessable, and in the alphabet Next.js accepts in `'nonce-…'`. */
export function createNonce(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64');
}

/**
 * Styles as production enforces them. Stylesheets come from our origin; `<style>` elements need the nonce
 * (Radix's scroll lock gets it through get-nonce, see components/providers.tsx) or sonner's hash above.
 * Style *attributes* are allowed (`style-src-attr 'unsafe-inline'`): React renders `style={…}` into the
 * server HTML as attributes (the shard map's virtualised sizes, the progress bar's offset), with values
 * computed per render, so neither a nonce nor a hash can cover them, and a blocked attribute would leave
 * the first paint unlaid-out. An attribute cannot run script or select other elements, so it cannot read
 * the page: the most an injected one could do is restyle the element it sits on.
 */
function styleDirectives(nonce: string): string[][] {
  return [
    ["style-src 'self'", `'nonce-${nonce}'`, SONNER_STYLESHEET_HASH, EMPTY_STYLESHEET_HASH],
    ["style-src-attr 'unsafe-inline'"],
  ];
}

/**
 * `next dev` only: its dev tools overlay inserts a dozen `<style>` elements without a nonce (its bundled
 * style-loader has none to give), and a nonce in `style-src` would switch `'unsafe-inline'` off. So
 * development enforces inline styles, and reports (Content-Security-Policy-Report-Only) what production
 * would refuse. The end-to-end tests run a production build, where these rules are enforced.
 */
const DEVELOPMENT_STYLE_DIRECTIVES = [["style-src 'self' 'unsafe-inline'"]];

const serialize = (directives: string[][]) => directives.map((parts) => parts.join(' ')).join('; ');

/**
 * The page policy. Scripts run only with this request's nonce; `'strict-dynamic'` lets those scripts load
 * the chunks they need (Next.js's client navigation). Browsers that know `'strict-dynamic'` ignore
 * `'self'`; it is there for older ones, which would otherwise refuse the chunks.
 *
 * Connections: our origin, and Supabase over https/http and its Realtime websocket (wss/ws) on the same
 * host. `upgrade-insecure-requests` is left out: Baton loads nothing cross-origin but Supabase, which is
 * listed with its exact scheme, and HSTS keeps the page itself on https.
 */
function pageContentSecurityPolicy({ nonce, supabaseUrl, environment }: Omit<SecurityHeaderOptions, 'kind'>) {
  const supabase = new URL(supabaseUrl);
  const realtime = `${supabase.protocol === 'https:' ? 'wss:' : 'ws:'}//${supabase.host}`;
  const development = environment === 'development';
  return serialize([
    ["default-src 'self'"],
    // React rebuilds server error stacks in the browser with eval during `next dev`; never in production.
    ["script-src 'self'", `'nonce-${nonce}'`, "'strict-dynamic'", ...(development ? ["'unsafe-eval'"] : [])],
    ...(development ? DEVELOPMENT_STYLE_DIRECTIVES : styleDirectives(nonce)),
    ["img-src 'self'"],
    ["font-src 'self'"],
    ["connect-src 'self'", supabase.origin, realtime],
    ["object-src 'none'"],
    ["base-uri 'none'"],
    ["form-action 'self'"],
    ["frame-ancestors 'none'"],
  ]);
}

/**
 * Powerful features Baton never uses, denied to it and to anything it might embed; only writing to the
 * clipboard (the copy buttons on the export page) stays allowed, for our own origin.
 */
const PERMISSIONS_POLICY = [
  'accelerometer=()',
  'autoplay=()',
  'bluetooth=()',
  'browsing-topics=()',
  'camera=()',
  'clipboard-read=()',
  'clipboard-write=(self)',
  'display-capture=()',
  'encrypted-media=()',
  'fullscreen=()',
  'geolocation=()',
  'gyroscope=()',
  'hid=()',
  'magnetometer=()',
  'microphone=()',
  'midi=()',
  'payment=()',
  'picture-in-picture=()',
  'publickey-credentials-get=()',
  'screen-wake-lock=()',
  'serial=()',
  'usb=()',
  'xr-spatial-tracking=()',
].join(', ');

/** Two years, the value browsers' HSTS preload lists ask for; only ever sent by a production server. */
const STRICT_TRANSPORT_SECURITY = 'max-age=63072000; includeSubDomains';

/** The proxy also sets the policy on the request, where Next.js looks for the nonce. */
export type SecurityHeaders = Record<string, string> & { 'Content-Security-Policy': string };

/** Response headers for one request. */
export function securityHeaders(options: SecurityHeaderOptions): SecurityHeaders {
  const headers: SecurityHeaders = {
    'Content-Security-Policy':
      options.kind === 'page' ? pageContentSecurityPolicy(options) : API_CONTENT_SECURITY_POLICY,
    // frame-ancestors for current browsers, X-Frame-Options for those that predate it: the signed-in
    // dashboard (with its Cancel button) must never sit invisibly under another site's clicks.
    'X-Frame-Options': 'DENY',
    // Export ids and filters live in our URLs: other origins see only our origin, and nothing over http.
    'Referrer-Policy': 'strict-origin-when-cross-origin',
    // A JSON body or a CSV download is never sniffed into HTML or script.
    'X-Content-Type-Options': 'nosniff',
    'Permissions-Policy': PERMISSIONS_POLICY,
    // A window another site opens on Baton (or Baton opens) shares no handle with it.
    'Cross-Origin-Opener-Policy': 'same-origin',
  };
  if (options.kind === 'page' && options.environment === 'development') {
    headers['Content-Security-Policy-Report-Only'] = serialize(styleDirectives(options.nonce));
  }
  // Production only: a development server sending it over https would pin localhost to https for every
  // other project on the developer's machine.
  if (options.environment === 'production') headers['Strict-Transport-Security'] = STRICT_TRANSPORT_SECURITY;
  return headers;
}
