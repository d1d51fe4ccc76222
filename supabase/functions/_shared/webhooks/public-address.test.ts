import { describe, expect, it } from 'vitest';
import { checkEndpointUrl, type ResolveHost } from './endpoint-url.ts';
import { isPublicAddress } from './public-address.ts';

describe('isPublicAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private 10/8'],
    ['172.16.0.1', 'private 172.16/12'],
    ['192.168.1.1', 'private 192.168/16'],
    ['169.254.169.254', 'link-local: cloud metadata'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['::1', 'IPv6 loopback'],
    ['::', 'IPv6 unspecified'],
    ['fe80::1', 'IPv6 link-local'],
    ['fc00::1', 'IPv6 unique local'],
    ['fd00:ec2::254', 'AWS IPv6 metadata (unique local)'],
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
    ['::ffff:169.254.169.254', 'IPv4-mapped metadata'],
    ['::ffff:a9fe:a9fe', 'IPv4-mapped metadata, hex'],
    ['64:ff9b::a9fe:a9fe', 'NAT64 of the metadata address'],
    ['2002:7f00:1::', '6to4 of loopback'],
    ['ff02::1', 'IPv6 multicast'],
    ['not-an-ip', 'not an address'],
  ])('refuses %s (%s)', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each(['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808'])(
    'accepts the public address %s',
    (address) => {
      expect(isPublicAddress(address)).toBe(true);
    },
  );
});

const resolvesTo =
  (addresses: string[]): ResolveHost =>
  () =>
    Promise.resolve(addresses);
const production = { allowLoopback: false };

describe('checkEndpointUrl', () => {
  it('accepts https to a host with only public addresses', async () => {
    const check = await checkEndpointUrl('https://hooks.example.com/baton', resolvesTo(['93.184.216.34']), production);
    expect(check).toEqual({ ok: true, addresses: ['93.184.216.34'] });
  });

  it('refuses http in production', async () => {
    const check = await checkEndpointUrl('http://hooks.example.com/', resolvesTo(['93.184.216.34']), production);
    expect(check).toMatchObject({ ok: false, reason: expect.stringContaining('https://') });
  });

  it('refuses a name with one private address among public ones (DNS rebinding picks either)', async () => {
    const check = await checkEndpointUrl(
      'https://hooks.example.com/',
      resolvesTo(['93.184.216.34', '10.0.0.5']),
      production,
    );
    expect(check).toMatchObject({ ok: false, reason: expect.stringContaining('10.0.0.5') });
  });

  it('refuses literal metadata and IPv4-mapped loopback addresses without a lookup', async () => {
    const noLookup: ResolveHost = () => Promise.reject(new Error('must not resolve a literal'));
    for (const url of ['https://169.254.169.254/latest', 'https://[::ffff:127.0.0.1]/', 'https://[::1]:8443/']) {
      expect(await checkEndpointUrl(url, noLookup, production)).toMatchObject({ ok: false });
    }
  });

  it('refuses a name that does not resolve, and credentials in the URL', async () => {
    expect(await checkEndpointUrl('https://nowhere.invalid/', resolvesTo([]), production)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('does not resolve'),
    });
    expect(
      await checkEndpointUrl('https://u:p@hooks.example.com/', resolvesTo(['93.184.216.34']), production),
    ).toMatchObject({ ok: false });
  });

  it('with the devstack flag, allows http to loopback, and still refuses private and metadata addresses', async () => {
    const devstack = { allowLoopback: true };
    expect(await checkEndpointUrl('http://127.0.0.1:4000/hook', resolvesTo([]), devstack)).toMatchObject({ ok: true });
    expect(await checkEndpointUrl('http://localhost:4000/', resolvesTo(['::1']), devstack)).toMatchObject({ ok: true });
    expect(await checkEndpointUrl('http://169.254.169.254/', resolvesTo([]), devstack)).toMatchObject({ ok: false });
    expect(await checkEndpointUrl('http://192.168.0.10/', resolvesTo([]), devstack)).toMatchObject({ ok: false });
  });
});
