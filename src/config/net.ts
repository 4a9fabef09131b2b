import { parseCidr, parseIpLiteral, parseIpv4Canonical, parseIpv6Bytes } from '../spec/address.ts';
import { isIP, isIPv4, isIPv6 } from 'node:net';
import type { HostPort } from './types.ts';

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** A DNS host name (lower-cased by the caller): dot-separated labels, no trailing dot. */
function isHostName(name: string): boolean {
  return name.length <= 253 && name.split('.').every((label) => LABEL.test(label));
}

/** A valid allowed_hosts entry: an exact host name, or `*.domain` where domain has at least two labels. */
export function isHostPattern(pattern: string): boolean {
  const p = pattern.toLowerCase();
  if (p.startsWith('*.')) {
    const domain = p.slice(2);
    return isHostName(domain) && domain.includes('.');
  }
  return isHostName(p) || isIP(p) !== 0;
}

/**
 * Whether `host` matches one of `patterns`: an exact name (case-insensitive) or `*.domain`, which matches any
 * subdomain of domain but not domain itself. Anything else (`*`, `api*.x.com`, a malformed host) never matches:
 * this is an allow-list, so doubt means no.
 */
export function hostAllowed(host: string, patterns: readonly string[]): boolean {
  const h = host.toLowerCase();
  const hostIsIp = isIP(h) !== 0 || (h.startsWith('[') && h.endsWith(']') && isIPv6(h.slice(1, -1)));
  if (!hostIsIp && !isHostName(h)) return false;
  return patterns.some((pattern) => {
    const p = pattern.toLowerCase();
    if (!isHostPattern(p)) return false;
    if (!p.startsWith('*.')) return p === h || (hostIsIp && `[${p}]` === h);
    return !hostIsIp && h.endsWith(p.slice(1)) && h.length > p.length - 1;
  });
}

/** Loopback addresses: 127.0.0.0/8, ::1, and IPv4-mapped 127.x. */
export function isLoopbackIp(ip: string): boolean {
  const parsed = parseIpLiteral(ip);
  if (parsed === undefined) return false;
  return parsed.kind === 'ipv4' ? parsed.bytes[0] === 127 : parsed.canonical === '::1';
}

/** Checks `10.0.0.0/8` or `fd00::/8`; returns a reason when it is not a CIDR block, undefined when it is. */
export function cidrProblem(cidr: string): string | undefined {
  const block = parseCidr(cidr);
  if (block === undefined)
    return `must be a CIDR block like 10.0.0.0/8 or fd00::/8, got ${JSON.stringify(cidr)}`;
  // parseCidr clears host bits; in configuration they are a typo worth reporting (10.0.0.1/8 meant what?).
  const address = cidr.slice(0, cidr.indexOf('/'));
  const given = address.includes(':') ? parseIpv6Bytes(address) : parseIpv4Canonical(address);
  const comparable = given !== undefined && given.length !== block.bytes.length ? given.slice(12) : given;
  const same = comparable?.every((b, i) => b === block.bytes[i]);
  return same
    ? undefined
    : `has host bits set beyond /${cidr.slice(cidr.indexOf('/') + 1)}, got ${JSON.stringify(cidr)}`;
}

/**
 * `127.0.0.1:9901`, `127.0.0.1`, `[::1]:9901`, `[::1]`, `::1` → host (IPv6 without brackets) and port if given.
 * Hosts must be IP literals: Envoy and the status server bind to addresses, and names would need resolving.
 */
export function parseHostPort(text: string): { host: string; port?: number } | undefined {
  let host: string;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed !== null) {
    host = bracketed[1]!;
    portText = bracketed[2];
    if (!isIPv6(host)) return undefined;
  } else if (isIP(text) !== 0) {
    host = text;
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0) return undefined;
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (!isIPv4(host)) return undefined;
  }
  if (portText === undefined) return { host };
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : 0;
  return port >= 1 && port <= 65535 ? { host, port } : undefined;
}

/** `127.0.0.1:9901`, `[::1]:9901`. */
export function formatHostPort(hp: HostPort): string {
  return isIPv6(hp.host) ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}
