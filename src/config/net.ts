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
  if (isIPv4(ip)) return ip.startsWith('127.');
  if (!isIPv6(ip)) return false;
  const bytes = ipv6Bytes(ip);
  if (bytes === undefined) return false;
  const zeroPrefix = (n: number) => bytes.slice(0, n).every((b) => b === 0);
  if (zeroPrefix(15) && bytes[15] === 1) return true;
  return zeroPrefix(10) && bytes[10] === 0xff && bytes[11] === 0xff && bytes[12] === 127;
}

function ipv4Bytes(ip: string): number[] {
  return ip.split('.').map(Number);
}

function ipv6Bytes(ip: string): number[] | undefined {
  let text = ip;
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (isIPv4(text.slice(lastColon + 1))) {
    tail = ipv4Bytes(text.slice(lastColon + 1));
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string) => (s === '' ? [] : s.split(':').map((g) => Number.parseInt(g, 16)));
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  const fill = halves.length === 2 ? 8 - head.length - rest.length : 0;
  const all = [...head, ...new Array<number>(fill).fill(0), ...rest];
  if (all.length !== 8) return undefined;
  const bytes = all.flatMap((g) => [g >> 8, g & 0xff]);
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes;
}

/** Checks `10.0.0.0/8` or `fd00::/8`; returns a reason when it is not a CIDR block, undefined when it is. */
export function cidrProblem(cidr: string): string | undefined {
  const slash = cidr.indexOf('/');
  const ip = slash < 0 ? cidr : cidr.slice(0, slash);
  const prefixText = slash < 0 ? '' : cidr.slice(slash + 1);
  const family = isIP(ip);
  const bits = family === 4 ? 32 : 128;
  if (family === 0 || !/^\d{1,3}$/.test(prefixText) || Number(prefixText) > bits) {
    return `must be a CIDR block like 10.0.0.0/8 or fd00::/8, got ${JSON.stringify(cidr)}`;
  }
  const bytes = family === 4 ? ipv4Bytes(ip) : ipv6Bytes(ip);
  const prefix = Number(prefixText);
  const hostBitsSet = (bytes ?? []).some((b, i) => {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    return (b & (0xff >> keep)) !== 0;
  });
  return hostBitsSet ? `has host bits set beyond /${prefix}, got ${JSON.stringify(cidr)}` : undefined;
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
