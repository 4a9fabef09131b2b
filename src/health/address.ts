/** Address comparison between the spec's view of a backend and Envoy's view of a host. */
import { isIPv6 } from 'node:net';
import { parseIpLiteral } from '../spec/address.ts';

/**
 * One spelling per address: IP literals as the contract spells them (dotted quad; IPv6 RFC 5952, compressed and
 * lower-case; IPv4-mapped IPv6 as its dotted quad), hostnames lower-case without a trailing dot. Anything else is
 * left as written but case-folded: a non-canonical IPv4 like `010.0.0.1` is not re-read (it would be octal), and a
 * zone id (fe80::1%eth0) is not something the contract's parser accepts.
 */
export function canonicalAddress(address: string): string {
  let text = address.trim();
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  const ip = parseIpLiteral(text);
  if (ip !== undefined) return ip.canonical;
  if (isIPv6(text)) return text.toLowerCase();
  return text.toLowerCase().replace(/\.$/, '');
}

/** `host:port` with IPv6 in brackets, for keys and messages. */
export function hostPortKey(address: string, port: number): string {
  const canonical = canonicalAddress(address);
  return canonical.includes(':') ? `[${canonical}]:${port}` : `${canonical}:${port}`;
}
