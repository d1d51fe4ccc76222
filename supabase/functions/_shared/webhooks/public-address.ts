import ipaddr from 'ipaddr.js';

/**
 * Whether an IP address is one anybody on the internet could reach: not loopback, private, link-local
 * (which holds the cloud metadata service, 169.254.169.254), carrier-grade NAT, multicast, reserved,
 * documentation or unspecified. An IPv4 address written as IPv6 (`::ffff:127.0.0.1`, and the NAT64 /
 * 6to4 / Teredo forms that embed one) is judged as the IPv4 address it reaches.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  const parsed = ipaddr.process(address.replace(/^\[|\]$/g, '').replace(/%.*$/, ''));
  if (parsed.kind() === 'ipv4') return parsed.range() === 'unicast';
  const v6 = parsed as ipaddr.IPv6;
  const embedded = embeddedIpv4(v6);
  if (embedded) return embedded.range() === 'unicast';
  // ipaddr.js calls global unicast (2000::/3 less the special blocks above) `unicast`.
  return v6.range() === 'unicast';
}

/** The IPv4 address an IPv6 translation prefix carries (NAT64 64:ff9b::/96, 6to4 2002::/16, Teredo). */
function embeddedIpv4(address: ipaddr.IPv6): ipaddr.IPv4 | null {
  const parts = address.parts;
  const range = address.range();
  if (range === 'rfc6052' || range === 'rfc6145') return ipv4From(parts[6]!, parts[7]!);
  if (range === '6to4') return ipv4From(parts[1]!, parts[2]!);
  // Teredo keeps the client's address inverted in the last 32 bits.
  if (range === 'teredo') return ipv4From(parts[6]! ^ 0xffff, parts[7]! ^ 0xffff);
  return null;
}

function ipv4From(high: number, low: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}
