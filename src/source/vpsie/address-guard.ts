// SSRF guard: decides whether the agent may open a socket to an IP address. Pure; no DNS here.
// Literals are read with the contract's parsers (src/spec/address.ts); the policy is the guard's own: unlike the
// contract, which allows private backends, the API client by default reaches only public addresses.
import { parseIpv4Canonical, parseIpv6Bytes } from '../../spec/address.ts';

export type AddressCategory =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link_local'
  | 'unspecified'
  | 'multicast'
  | 'broadcast'
  | 'reserved'
  | 'invalid';

export interface AddressClass {
  readonly category: AddressCategory;
  /** Which range matched, for messages: `10.0.0.0/8`. Empty for public addresses. */
  readonly range: string;
}

export interface AddressPolicy {
  readonly allowLoopback: boolean;
  readonly allowPrivate: boolean;
}

/** Production: only public unicast addresses. */
export const STRICT_ADDRESS_POLICY: AddressPolicy = { allowLoopback: false, allowPrivate: false };
/** Development mode (`allowInsecureApi`): a local fake API may live on loopback or a private network. */
export const DEVELOPMENT_ADDRESS_POLICY: AddressPolicy = { allowLoopback: true, allowPrivate: true };

export type AddressDecision = { readonly ok: true } | { readonly ok: false; readonly reason: string };

interface V4Range {
  readonly base: number;
  readonly bits: number;
  readonly category: AddressCategory;
  readonly text: string;
}

const embeddedV4 = (b: Uint8Array, at: number): number =>
  ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;

/** A strict dotted quad as a 32-bit number (the contract's parser: no leading zeros, no short forms). */
function parseV4(text: string): number | undefined {
  const b = parseIpv4Canonical(text);
  return b === undefined ? undefined : embeddedV4(b, 0);
}

/** 16 bytes, or undefined when `text` is not an IPv6 literal. A `%zone` (link-local answers) is dropped first. */
const parseV6 = (text: string): Uint8Array | undefined => parseIpv6Bytes(text.split('%')[0] ?? '');

const v4 = (text: string, category: AddressCategory): V4Range => {
  const [addr, bits] = text.split('/') as [string, string];
  return { base: parseV4(addr)!, bits: Number(bits), category, text };
};

// Documentation ranges (192.0.2/24, 198.51.100/24, 203.0.113/24) are deliberately absent: they are not routed on
// the internet, so treating them as public is harmless, and tests use them as stand-ins for public addresses.
const V4_RANGES: readonly V4Range[] = [
  v4('255.255.255.255/32', 'broadcast'),
  v4('0.0.0.0/32', 'unspecified'),
  v4('0.0.0.0/8', 'reserved'),
  v4('10.0.0.0/8', 'private'),
  v4('100.64.0.0/10', 'private'),
  v4('127.0.0.0/8', 'loopback'),
  v4('169.254.0.0/16', 'link_local'),
  v4('172.16.0.0/12', 'private'),
  v4('192.0.0.0/24', 'reserved'),
  v4('192.88.99.0/24', 'reserved'),
  v4('192.168.0.0/16', 'private'),
  v4('198.18.0.0/15', 'reserved'),
  v4('224.0.0.0/4', 'multicast'),
  v4('240.0.0.0/4', 'reserved'),
];

function classifyV4(value: number): AddressClass {
  for (const r of V4_RANGES) {
    const mask = r.bits === 0 ? 0 : (0xffffffff << (32 - r.bits)) >>> 0;
    if ((value & mask) >>> 0 === (r.base & mask) >>> 0) return { category: r.category, range: r.text };
  }
  return { category: 'public', range: '' };
}

const startsWith = (b: Uint8Array, prefix: readonly number[]): boolean => prefix.every((p, i) => b[i] === p);
const zeros = (b: Uint8Array, from: number, to: number): boolean => b.slice(from, to).every((x) => x === 0);

/** Judges an embedded IPv4 address, keeping the IPv6 wrapper in the range text. */
function viaV4(b: Uint8Array, at: number, wrapper: string): AddressClass {
  const inner = classifyV4(embeddedV4(b, at));
  return inner.category === 'public'
    ? inner
    : { category: inner.category, range: `${inner.range} via ${wrapper}` };
}

function classifyV6(b: Uint8Array): AddressClass {
  if (zeros(b, 0, 16)) return { category: 'unspecified', range: '::/128' };
  if (zeros(b, 0, 15) && b[15] === 1) return { category: 'loopback', range: '::1/128' };
  if (zeros(b, 0, 10) && b[10] === 0xff && b[11] === 0xff) return viaV4(b, 12, '::ffff:0:0/96 (IPv4-mapped)');
  if (zeros(b, 0, 12)) return viaV4(b, 12, '::/96 (IPv4-compatible)');
  if (startsWith(b, [0x00, 0x64, 0xff, 0x9b]) && zeros(b, 4, 12)) return viaV4(b, 12, '64:ff9b::/96 (NAT64)');
  if (startsWith(b, [0x00, 0x64, 0xff, 0x9b, 0x00, 0x01]))
    return { category: 'private', range: '64:ff9b:1::/48' };
  if ((b[0]! & 0xfe) === 0xfc) return { category: 'private', range: 'fc00::/7' };
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) return { category: 'link_local', range: 'fe80::/10' };
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0xc0)
    return { category: 'private', range: 'fec0::/10 (site-local)' };
  if (b[0] === 0xff) return { category: 'multicast', range: 'ff00::/8' };
  if (startsWith(b, [0x20, 0x02])) return viaV4(b, 2, '2002::/16 (6to4)');
  if (startsWith(b, [0x20, 0x01, 0x00, 0x00])) return { category: 'reserved', range: '2001::/32 (Teredo)' };
  // Everything outside global unicast (2000::/3) is unassigned or special-purpose.
  if ((b[0]! & 0xe0) !== 0x20) return { category: 'reserved', range: 'outside 2000::/3' };
  return { category: 'public', range: '' };
}

/** What kind of address `ip` is. IPv4-mapped, IPv4-compatible, NAT64 and 6to4 forms are judged by their IPv4. */
export function classifyAddress(ip: string): AddressClass {
  const s = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  const four = parseV4(s);
  if (four !== undefined) return classifyV4(four);
  const six = parseV6(s);
  if (six !== undefined) return classifyV6(six);
  return { category: 'invalid', range: '' };
}

/** May the agent connect to `ip` under `policy`? The reason names the address and the range it fell in. */
export function checkAddress(ip: string, policy: AddressPolicy): AddressDecision {
  const c = classifyAddress(ip);
  if (c.category === 'public') return { ok: true };
  if (c.category === 'loopback' && policy.allowLoopback) return { ok: true };
  if (c.category === 'private' && policy.allowPrivate) return { ok: true };
  const label = c.category.replace('_', '-');
  const where = c.range === '' ? '' : ` (${c.range})`;
  const article = /^[aeiou]/.test(label) ? 'an' : 'a';
  return { ok: false, reason: `${ip} is ${article} ${label} address${where}` };
}
