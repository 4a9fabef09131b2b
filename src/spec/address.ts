/**
 * IP literal parsing and the contract's address policy. Hand-written and strict on purpose: the security
 * rules depend on every notation of an address being recognised, and on nothing else being mistaken for one.
 * Reused by the API client's SSRF guard.
 */

export interface ParsedIp {
  readonly kind: 'ipv4' | 'ipv6';
  /** Dotted quad, or RFC 5952 (compressed, lower-case, pure hex). IPv4-mapped IPv6 is given as its IPv4. */
  readonly canonical: string;
  /** 4 bytes for ipv4, 16 for ipv6. */
  readonly bytes: Uint8Array;
}

export interface Cidr {
  readonly kind: 'ipv4' | 'ipv6';
  readonly bytes: Uint8Array;
  readonly prefix: number;
  /** Normalised `address/prefix` (host bits cleared). */
  readonly text: string;
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const hexValue = (c: number): number => {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
};

/** Strict dotted quad: four decimal parts 0..255, no leading zeros, nothing else. */
export function parseIpv4Canonical(s: string): Uint8Array | undefined {
  const n = s.length;
  if (n < 7 || n > 15) return undefined;
  const out = new Uint8Array(4);
  let part = 0;
  let i = 0;
  while (part < 4) {
    const start = i;
    let v = 0;
    while (i < n && isDigit(s.charCodeAt(i)) && i - start < 4) {
      v = v * 10 + (s.charCodeAt(i) - 48);
      i++;
    }
    const len = i - start;
    if (len === 0 || len > 3 || v > 255 || (len > 1 && s.charCodeAt(start) === 48)) return undefined;
    out[part] = v;
    part++;
    if (part < 4) {
      if (i >= n || s.charCodeAt(i) !== 46) return undefined;
      i++;
    }
  }
  return i === n ? out : undefined;
}

const isAsciiSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13);

/**
 * True when glibc's `inet_aton` would accept `s` (1 to 4 parts, each decimal, octal with a leading 0 or hex
 * with 0x; earlier parts 0..255, the last filling the remaining bytes; anything after ASCII whitespace ignored).
 */
export function inetAtonAccepts(s: string): boolean {
  const n = s.length;
  const maxLast = [0xffffffff, 0xffffff, 0xffff, 0xff];
  let i = 0;
  let parts = 0;
  for (;;) {
    if (i >= n || !isDigit(s.charCodeAt(i))) return false;
    let base = 10;
    let v = 0;
    let digits = 0;
    if (s.charCodeAt(i) === 48) {
      const next = i + 1 < n ? s.charCodeAt(i + 1) : -1;
      if ((next === 120 || next === 88) && i + 2 < n && hexValue(s.charCodeAt(i + 2)) >= 0) {
        base = 16;
        i += 2;
      } else {
        base = 8;
      }
    }
    for (; i < n; i++) {
      const d = hexValue(s.charCodeAt(i));
      if (d < 0 || d >= base) break;
      v = v * base + d;
      digits++;
      if (v > 0xffffffff) return false;
    }
    if (digits === 0) return false;
    const c = i < n ? s.charCodeAt(i) : -1;
    if (c === 46) {
      if (parts >= 3 || v > 0xff) return false;
      parts++;
      i++;
      continue;
    }
    if (c !== -1 && !isAsciiSpace(c)) return false;
    return v <= (maxLast[parts] ?? 0);
  }
}

/** `0x7f000001`, `2130706433`, `0177.0.0.1`, `127.1`, `127.0.0.1 x`: read by inet_aton, yet not a canonical quad. */
export function looksLikeInetAtonNonCanonical(s: string): boolean {
  return parseIpv4Canonical(s) === undefined && inetAtonAccepts(s);
}

/** Strict IPv6 literal (any legal notation, optional dotted-quad tail, no zone id, no brackets) → 16 bytes. */
export function parseIpv6Bytes(s: string): Uint8Array | undefined {
  const n = s.length;
  if (n < 2 || n > 45) return undefined;
  const groups: number[] = [];
  let gap = -1;
  let i = 0;
  if (s.charCodeAt(0) === 58) {
    if (s.charCodeAt(1) !== 58) return undefined;
    gap = 0;
    i = 2;
  }
  while (i < n) {
    if (groups.length >= 8) return undefined;
    const start = i;
    let v = 0;
    while (i < n && i - start < 5) {
      const d = hexValue(s.charCodeAt(i));
      if (d < 0) break;
      v = v * 16 + d;
      i++;
    }
    if (i < n && s.charCodeAt(i) === 46) {
      if (groups.length > 6) return undefined;
      const quad = parseIpv4Canonical(s.slice(start));
      if (quad === undefined) return undefined;
      groups.push((quad[0]! << 8) | quad[1]!, (quad[2]! << 8) | quad[3]!);
      i = n;
      break;
    }
    const len = i - start;
    if (len === 0 || len > 4) return undefined;
    groups.push(v);
    if (i === n) break;
    if (s.charCodeAt(i) !== 58) return undefined;
    if (i + 1 < n && s.charCodeAt(i + 1) === 58) {
      if (gap >= 0) return undefined;
      gap = groups.length;
      i += 2;
    } else {
      i++;
      if (i === n) return undefined;
    }
  }
  if (gap < 0 ? groups.length !== 8 : groups.length > 7) return undefined;
  const out = new Uint8Array(16);
  const fill = 8 - groups.length;
  let k = 0;
  for (let g = 0; g < groups.length; g++) {
    if (g === gap) k += fill;
    const v = groups[g]!;
    out[k * 2] = v >> 8;
    out[k * 2 + 1] = v & 0xff;
    k++;
  }
  return out;
}

const formatIpv4 = (b: Uint8Array, at = 0): string => `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;

/** RFC 5952: lower-case, no leading zeros, the longest run (first on a tie) of 2+ zero groups as `::`. */
export function formatIpv6(b: Uint8Array): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((b[i * 2]! << 8) | b[i * 2 + 1]!);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) return g.map((x) => x.toString(16)).join(':');
  const head = g.slice(0, bestStart).map((x) => x.toString(16));
  const tail = g.slice(bestStart + bestLen).map((x) => x.toString(16));
  return `${head.join(':')}::${tail.join(':')}`;
}

const startsWithBytes = (b: Uint8Array, prefix: readonly number[]): boolean =>
  prefix.every((x, i) => b[i] === x);
const ZERO_80 = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
const MAPPED = [...ZERO_80, 0xff, 0xff];
const COMPATIBLE = [...ZERO_80, 0, 0];
const NAT64 = [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0];

/** Parses an IPv4 (strict dotted quad) or IPv6 literal; IPv4-mapped IPv6 comes back as its IPv4. */
export function parseIpLiteral(s: string): ParsedIp | undefined {
  if (s.includes(':')) {
    const bytes = parseIpv6Bytes(s);
    if (bytes === undefined) return undefined;
    if (startsWithBytes(bytes, MAPPED)) {
      const v4 = bytes.slice(12);
      return { kind: 'ipv4', canonical: formatIpv4(v4), bytes: v4 };
    }
    return { kind: 'ipv6', canonical: formatIpv6(bytes), bytes };
  }
  const v4 = parseIpv4Canonical(s);
  return v4 === undefined ? undefined : { kind: 'ipv4', canonical: formatIpv4(v4), bytes: v4 };
}

/** The IPv4 address an IPv6 address embeds in one of the contract's forms, with the form's name. */
export function embeddedIpv4(bytes: Uint8Array): { form: string; ipv4: Uint8Array } | undefined {
  if (bytes.length !== 16) return undefined;
  if (startsWithBytes(bytes, MAPPED)) return { form: 'IPv4-mapped', ipv4: bytes.slice(12) };
  if (startsWithBytes(bytes, COMPATIBLE)) return { form: 'IPv4-compatible', ipv4: bytes.slice(12) };
  if (startsWithBytes(bytes, NAT64)) return { form: 'NAT64', ipv4: bytes.slice(12) };
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return { form: '6to4', ipv4: bytes.slice(2, 6) };
  return undefined;
}

function ipv4Reason(b: Uint8Array): string | undefined {
  const a = b[0]!;
  if (a === 127) return 'a loopback address (127.0.0.0/8)';
  if (a === 0) return 'an unspecified or "this network" address (0.0.0.0/8)';
  if (a === 169 && b[1] === 254) return 'a link-local address (169.254.0.0/16, cloud metadata)';
  if (a >= 224 && a <= 239) return 'a multicast address (224.0.0.0/4)';
  if (a === 255 && b[1] === 255 && b[2] === 255 && b[3] === 255) return 'the broadcast address';
  if (a >= 240) return 'a reserved address (240.0.0.0/4)';
  return undefined;
}

/** Why the contract forbids this address as a backend (or as an API endpoint), or undefined when it is fine. */
export function forbiddenAddressReason(ip: Pick<ParsedIp, 'bytes'>): string | undefined {
  const b = ip.bytes;
  if (b.length === 4) return ipv4Reason(b);
  if (b.length !== 16) return 'not an IP address';
  const isZeroUpTo15 = startsWithBytes(b, [...COMPATIBLE, 0, 0, 0]);
  if (isZeroUpTo15 && b[15] === 1) return 'the IPv6 loopback address (::1)';
  if (isZeroUpTo15 && b[15] === 0) return 'the IPv6 unspecified address (::)';
  const embedded = embeddedIpv4(b);
  if (embedded !== undefined) {
    const reason = ipv4Reason(embedded.ipv4);
    return reason === undefined
      ? undefined
      : `${embedded.form}, embedding ${formatIpv4(embedded.ipv4)}: ${reason}`;
  }
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) return 'an IPv6 link-local address (fe80::/10)';
  if (b[0] === 0xff) return 'an IPv6 multicast address (ff00::/8)';
  return undefined;
}

/** `10.0.0.0/8`, `fd00::/8`; host bits must be zero is NOT required (they are cleared). */
export function parseCidr(s: string): Cidr | undefined {
  const slash = s.indexOf('/');
  if (slash <= 0) return undefined;
  const prefixText = s.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText)) return undefined;
  let prefix = Number(prefixText);
  const addrText = s.slice(0, slash);
  let bytes: Uint8Array | undefined;
  if (addrText.includes(':')) {
    bytes = parseIpv6Bytes(addrText);
    if (bytes === undefined || prefix > 128) return undefined;
    // An IPv4-mapped range is the IPv4 range it maps, since mapped addresses are judged as IPv4.
    if (prefix >= 96 && startsWithBytes(bytes, MAPPED)) {
      bytes = bytes.slice(12);
      prefix -= 96;
    }
  } else {
    bytes = parseIpv4Canonical(addrText);
    if (bytes === undefined || prefix > 32) return undefined;
  }
  const masked = bytes.slice();
  for (let i = 0; i < masked.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    masked[i] = masked[i]! & ((0xff << (8 - keep)) & 0xff);
  }
  const kind = masked.length === 4 ? 'ipv4' : 'ipv6';
  const text = `${kind === 'ipv4' ? formatIpv4(masked) : formatIpv6(masked)}/${prefix}`;
  return { kind, bytes: masked, prefix, text };
}

export function cidrContains(cidr: Cidr, bytes: Uint8Array): boolean {
  if (cidr.bytes.length !== bytes.length) return false;
  const full = cidr.prefix >> 3;
  for (let i = 0; i < full; i++) if (cidr.bytes[i] !== bytes[i]) return false;
  const rest = cidr.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (bytes[full]! & mask) === cidr.bytes[full];
}

/**
 * The operator's policy from agent.yaml, on top of the contract's. Deny CIDRs add forbidden ranges and always win.
 * Allow CIDRs are an operator-only exemption: an IP literal inside one is accepted even when the contract forbids
 * it (a demo or a test with loopback backends: `[127.0.0.0/8]`), except on the ports of this machine's control
 * plane (`protectedPorts`: the Envoy admin port and the agent's own port), since a backend there would hand the
 * control plane to whoever writes the spec. An IPv6 address embedding an IPv4 one (see `embeddedIpv4`) is judged
 * for both addresses. Hostnames are not resolved, so these lists do not apply to them.
 */
export interface AddressPolicy {
  readonly deny: readonly Cidr[];
  readonly allow: readonly Cidr[];
  readonly protectedPorts: readonly number[];
}

export function buildAddressPolicy(
  denyCidrs: readonly string[],
  allowCidrs: readonly string[],
  protectedPorts: readonly number[] = [],
): { policy: AddressPolicy; invalid: string[] } {
  const invalid: string[] = [];
  const parseAll = (list: readonly string[]): Cidr[] => {
    const out: Cidr[] = [];
    for (const s of list) {
      const c = parseCidr(s);
      if (c === undefined) invalid.push(s);
      else out.push(c);
    }
    return out;
  };
  return {
    policy: { deny: parseAll(denyCidrs), allow: parseAll(allowCidrs), protectedPorts },
    invalid,
  };
}

function candidates(ip: Pick<ParsedIp, 'bytes'>): Uint8Array[] {
  const embedded = embeddedIpv4(ip.bytes);
  return embedded === undefined ? [ip.bytes] : [ip.bytes, embedded.ipv4];
}

/** Why the operator's deny list rejects this address, or undefined. Does not repeat the contract's own rules. */
export function policyReason(policy: AddressPolicy, ip: Pick<ParsedIp, 'bytes'>): string | undefined {
  for (const bytes of candidates(ip)) {
    const denied = policy.deny.find((c) => cidrContains(c, bytes));
    if (denied !== undefined) return `is in the denied range ${denied.text} (agent config)`;
  }
  return undefined;
}

/** True when the operator's allow list covers the address (every embedded form too), lifting the contract's ban. */
export function operatorAllows(policy: AddressPolicy, ip: Pick<ParsedIp, 'bytes'>): boolean {
  if (policy.allow.length === 0) return false;
  return candidates(ip).every((bytes) => policy.allow.some((c) => cidrContains(c, bytes)));
}

/** Why `s` is not an RFC 1123 hostname the contract accepts, or undefined. Case-insensitive, ASCII only. */
export function hostnameProblem(s: string): string | undefined {
  const n = s.length;
  if (n === 0) return 'must not be empty';
  if (n > 253) return `is longer than 253 characters (${n})`;
  let labelStart = 0;
  let label = 1;
  let allDigits = true;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? s.charCodeAt(i) : 46;
    if (c === 46) {
      const len = i - labelStart;
      if (len === 0) return i === n ? 'must not end with a dot' : `label ${label} is empty`;
      if (len > 63) return `label ${label} is longer than 63 characters`;
      if (s.charCodeAt(labelStart) === 45 || s.charCodeAt(i - 1) === 45) {
        return `label ${label} starts or ends with a hyphen`;
      }
      if (i === n && allDigits) return 'the last label is all digits';
      labelStart = i + 1;
      label++;
      allDigits = true;
      continue;
    }
    const isLetter = (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
    if (!isLetter && !isDigit(c) && c !== 45) return 'may hold only ASCII letters, digits, hyphens and dots';
    if (!isDigit(c)) allDigits = false;
  }
  const lower = s.toLowerCase();
  if (lower === 'localhost' || lower.endsWith('.localhost')) return 'localhost is not allowed';
  return undefined;
}
