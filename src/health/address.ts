/** Address comparison between the spec's view of a backend and Envoy's view of a host. */
import { isIPv4, isIPv6 } from 'node:net';

const MAPPED_V4 = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/;

/**
 * One spelling per address: IPv6 compressed lower-case (via the WHATWG URL serializer), IPv4-mapped IPv6 as its
 * dotted quad, hostnames lower-case without a trailing dot. IPv4 is left as written: Envoy prints dotted quads and
 * the spec is canonical already (re-parsing through URL would read `010.0.0.1` as octal).
 */
export function canonicalAddress(address: string): string {
  let text = address.trim();
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  if (isIPv4(text)) return text;
  if (isIPv6(text)) {
    let v6: string;
    try {
      v6 = new URL(`http://[${text}]/`).hostname.slice(1, -1);
    } catch {
      // Zone ids (fe80::1%eth0) are valid for net but not for URL; they only need case folding.
      return text.toLowerCase();
    }
    const mapped = MAPPED_V4.exec(v6);
    if (mapped !== null) {
      const hi = Number.parseInt(mapped[1] ?? '0', 16);
      const lo = Number.parseInt(mapped[2] ?? '0', 16);
      return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
    }
    return v6;
  }
  return text.toLowerCase().replace(/\.$/, '');
}

/** `host:port` with IPv6 in brackets, for keys and messages. */
export function hostPortKey(address: string, port: number): string {
  const canonical = canonicalAddress(address);
  return canonical.includes(':') ? `[${canonical}]:${port}` : `${canonical}:${port}`;
}
