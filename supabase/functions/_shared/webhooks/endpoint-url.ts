import ipaddr from 'ipaddr.js';
import { isPublicAddress } from './public-address.ts';

/** Looks up a host's A and AAAA addresses (Node's dns, or Deno.resolveDns at the edge). */
export type ResolveHost = (hostname: string) => Promise<string[]>;

export type EndpointPolicy = {
  /** The devstack's explicit exception, for tests against a receiver on this machine: http and loopback. */
  allowLoopback: boolean;
};

export type EndpointCheck = { ok: true; addresses: string[] } | { ok: false; reason: string };

/**
 * Whether Baton may send to this URL: https, no credentials in it, and a host whose every address is
 * public. Run when an endpoint is registered and again before every attempt (DNS can change in between:
 * a name that was public at registration may point at 127.0.0.1 today). With `allowLoopback`, http and
 * loopback addresses pass too; private and metadata addresses never do.
 */
export async function checkEndpointUrl(
  raw: string,
  resolve: ResolveHost,
  policy: EndpointPolicy,
): Promise<EndpointCheck> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return {
      ok: false,
      reason: 'The endpoint is not a valid URL: write it in full, e.g. https://example.com/hooks/baton.',
    };
  }
  const schemes = policy.allowLoopback ? ['https:', 'http:'] : ['https:'];
  if (!schemes.includes(url.protocol)) {
    return { ok: false, reason: 'The endpoint must use https:// (events carry your export details).' };
  }
  if (url.username || url.password) {
    return {
      ok: false,
      reason: 'Put no user name or password in the URL: the signature authenticates Baton to your receiver.',
    };
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  if (ipaddr.isValid(host)) {
    addresses = [host];
  } else {
    try {
      addresses = await resolve(host);
    } catch {
      addresses = [];
    }
    if (addresses.length === 0) {
      return { ok: false, reason: `The host ${host} does not resolve to any address: check the name.` };
    }
  }
  const refused = addresses.find((address) => !isAllowed(address, policy));
  if (refused !== undefined) {
    return {
      ok: false,
      reason: `The host ${host} resolves to ${refused}, which is not a public address: Baton sends webhooks only to hosts on the public internet.`,
    };
  }
  return { ok: true, addresses };
}

function isAllowed(address: string, policy: EndpointPolicy): boolean {
  if (isPublicAddress(address)) return true;
  return policy.allowLoopback && ipaddr.isValid(address) && ipaddr.process(address).range() === 'loopback';
}
