import { lookup } from 'node:dns/promises';

/** Every A and AAAA address of a host, as the delivery function resolves it; none when it does not resolve. */
export async function resolveHost(hostname: string): Promise<string[]> {
  try {
    return (await lookup(hostname, { all: true, verbatim: true })).map((entry) => entry.address);
  } catch {
    return [];
  }
}
