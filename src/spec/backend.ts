import {
  type AddressPolicy,
  forbiddenAddressReason,
  hostnameProblem,
  looksLikeInetAtonNonCanonical,
  operatorAllows,
  parseIpLiteral,
  policyReason,
} from './address.ts';
import {
  describe,
  field,
  type JsonObject,
  indexPath,
  isObject,
  keyPath,
  noteUnknown,
  own,
  problem,
  readBool,
  readEnum,
  readId,
  readInt,
  readObject,
  readString,
  type Sink,
} from './read.ts';
import type { AddressKind, Backend, BackendStatus } from './types.ts';

export const MAX_BACKENDS = 10_000;
const KNOWN = new Set(['id', 'address', 'port', 'weight', 'enabled', 'status']);
const STATUSES: readonly BackendStatus[] = ['up', 'down', 'unknown'];

export interface CanonicalAddress {
  readonly address: string;
  readonly kind: AddressKind;
  /** Accepted only because `address_policy.allow_cidrs` lifts the contract's ban (then some ports stay refused). */
  readonly operatorAllowed?: true;
}

/** A backend address in canonical form, or a problem message (which may show the value). */
export function checkAddress(s: string, policy: AddressPolicy): CanonicalAddress | string {
  if (s.length === 0) return 'must not be empty';
  if (s.includes(':')) {
    if (s.includes('%')) return `must not carry an IPv6 zone id, got ${describe(s)}`;
    const ip = parseIpLiteral(s);
    if (ip === undefined) return `is not a valid IPv6 literal (no brackets, no port), got ${describe(s)}`;
    return judgeIp(s, ip, policy);
  }
  const ip = parseIpLiteral(s);
  if (ip !== undefined) return judgeIp(s, ip, policy);
  if (looksLikeInetAtonNonCanonical(s)) {
    return `must be a canonical dotted-quad IPv4 address (no octal, hex, integer or short forms), got ${describe(s)}`;
  }
  const why = hostnameProblem(s);
  if (why !== undefined) return `is not a valid IP address or hostname: ${why}, got ${describe(s)}`;
  return { address: s.toLowerCase(), kind: 'hostname' };
}

function judgeIp(
  s: string,
  ip: NonNullable<ReturnType<typeof parseIpLiteral>>,
  policy: AddressPolicy,
): CanonicalAddress | string {
  const denied = policyReason(policy, ip);
  if (denied !== undefined) return `${describe(s)} ${denied}`;
  const forbidden = forbiddenAddressReason(ip);
  if (forbidden === undefined) return { address: ip.canonical, kind: ip.kind };
  if (operatorAllows(policy, ip)) return { address: ip.canonical, kind: ip.kind, operatorAllowed: true };
  return `${describe(s)} is ${forbidden}, which is not allowed`;
}

/** The control plane's own ports stay closed to backends that only the operator's allow list let in. */
export function protectedPortProblem(
  address: CanonicalAddress,
  port: number,
  policy: AddressPolicy,
): string | undefined {
  if (address.operatorAllowed !== true || !policy.protectedPorts.includes(port)) return undefined;
  return `must not be ${port} on ${address.address}: that is a port of this machine's control plane (Envoy admin or the agent), which address_policy.allow_cidrs never opens`;
}

/** The required address field `key`: a string `checkAddress` accepts (with `ipOnly`, an IP literal only). */
export function readAddressField(
  sink: Sink,
  obj: JsonObject,
  key: string,
  path: string,
  policy: AddressPolicy,
  ipOnly = false,
): CanonicalAddress | undefined {
  const raw = field(sink, obj, key, path, true);
  if (raw === undefined) return undefined;
  const at = keyPath(path, key);
  const s = readString(sink, raw, at);
  if (s === undefined) return undefined;
  const checked = checkAddress(s, policy);
  if (typeof checked === 'string') return void problem(sink, at, checked);
  if (ipOnly && checked.kind === 'hostname')
    return void problem(
      sink,
      at,
      `must be an IP address (host names are not allowed here), got ${describe(s)}`,
    );
  return checked;
}

/**
 * The id of an item for the uniqueness check: the one read, else the raw non-empty string, so a duplicate is
 * reported even next to another mistake.
 */
export function idForUniqueness(item: unknown, key: string, read?: string): string | undefined {
  const raw = read !== undefined ? read : isObject(item) ? own(item, key) : undefined;
  return typeof raw === 'string' && raw !== '' ? raw : undefined;
}

/** Reports every id equal to an earlier one, at `<item>.<key>`. */
export function reportDuplicateIds(
  sink: Sink,
  ids: readonly (string | undefined)[],
  path: string,
  key: string,
): void {
  forEachDuplicate(ids, (i, first) =>
    problem(
      sink,
      `${indexPath(path, i)}.${key}`,
      `duplicate ${key} ${describe(ids[i])} (also ${indexPath(path, first)})`,
    ),
  );
}

function readBackend(sink: Sink, v: unknown, path: string, policy: AddressPolicy): Backend | undefined {
  const obj = readObject(sink, v, path);
  if (obj === undefined) return undefined;
  noteUnknown(sink, obj, KNOWN, path);
  const before = sink.problems.length;

  const rawId = field(sink, obj, 'id', path, true);
  const id = rawId === undefined ? undefined : readId(sink, rawId, keyPath(path, 'id'), 64);

  const address = readAddressField(sink, obj, 'address', path, policy);

  const rawPort = field(sink, obj, 'port', path, true);
  const port = rawPort === undefined ? undefined : readInt(sink, rawPort, keyPath(path, 'port'), 1, 65535);
  const rawWeight = field(sink, obj, 'weight', path, false);
  const weight = rawWeight === undefined ? 0 : readInt(sink, rawWeight, keyPath(path, 'weight'), 0, 1000);
  const rawEnabled = field(sink, obj, 'enabled', path, false);
  const enabled = rawEnabled === undefined ? true : readBool(sink, rawEnabled, keyPath(path, 'enabled'));
  const rawStatus = field(sink, obj, 'status', path, false);
  const status =
    rawStatus === undefined ? undefined : readEnum(sink, rawStatus, keyPath(path, 'status'), STATUSES);

  if (address !== undefined && port !== undefined) {
    const why = protectedPortProblem(address, port, policy);
    if (why !== undefined) problem(sink, keyPath(path, 'port'), why);
  }
  if (sink.problems.length !== before) return undefined;
  if (id === undefined || address === undefined || port === undefined) return undefined;
  if (weight === undefined || enabled === undefined) return undefined;
  return makeBackend(id, address, port, weight, enabled, status);
}

function makeBackend(
  id: string,
  address: CanonicalAddress,
  port: number,
  weight: number,
  enabled: boolean,
  status: BackendStatus | undefined,
): Backend {
  // Two literals rather than a spread: the spread was most of the validation time for 10,000 backends.
  const addressText = address.address;
  const addressKind = address.kind;
  const w = weight === 0 ? 1 : weight;
  if (status === undefined) return { id, address: addressText, addressKind, port, weight: w, enabled };
  return { id, address: addressText, addressKind, port, weight: w, enabled, status };
}

const ID = /^[A-Za-z0-9_-]+$/;
const isNullish = (v: unknown): v is null | undefined => v === undefined || v === null;

/**
 * The common case, fast: a backend that is entirely valid and has no unknown keys, or undefined, in which case
 * `readBackend` runs and explains. It must never accept what `readBackend` rejects (a test checks both agree).
 */
function fastBackend(v: unknown, policy: AddressPolicy): Backend | undefined {
  if (!isObject(v)) return undefined;
  for (const k of Object.keys(v)) {
    // A switch on constant strings is much cheaper than a Set lookup, 60,000 times over.
    switch (k) {
      case 'id':
      case 'address':
      case 'port':
      case 'weight':
      case 'enabled':
      case 'status':
        break;
      default:
        return undefined;
    }
  }
  const id = own(v, 'id');
  if (typeof id !== 'string' || id.length < 1 || id.length > 64 || !ID.test(id)) return undefined;
  const port = own(v, 'port');
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  const weight = own(v, 'weight') ?? 0;
  if (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 0 || weight > 1000)
    return undefined;
  const enabled = own(v, 'enabled') ?? true;
  if (typeof enabled !== 'boolean') return undefined;
  const status = own(v, 'status');
  if (!isNullish(status) && !(STATUSES as readonly unknown[]).includes(status)) return undefined;
  const address = own(v, 'address');
  if (typeof address !== 'string') return undefined;
  const checked = checkAddress(address, policy);
  if (typeof checked === 'string' || checked.operatorAllowed === true) return undefined;
  return makeBackend(
    id,
    checked,
    port,
    weight,
    enabled,
    isNullish(status) ? undefined : (status as BackendStatus),
  );
}

/** Exposed for the test that checks the fast path never disagrees with the explaining one. */
export const backendReadersForTest = {
  fast: fastBackend,
  full: (v: unknown, policy: AddressPolicy): Backend | undefined =>
    readBackend({ problems: [], warnings: [], ignored: [] }, v, 'b', policy),
};

/** The backends array: items, unique ids, unique enabled address+port; undefined if anything is wrong. */
export function readBackends(
  sink: Sink,
  v: unknown,
  path: string,
  policy: AddressPolicy,
): Backend[] | undefined {
  if (!Array.isArray(v)) return void problem(sink, path, `must be an array, got ${describe(v)}`);
  if (v.length < 1 || v.length > MAX_BACKENDS) {
    // Items of an oversized array are not examined: the count alone makes it invalid, and it bounds the work.
    return void problem(sink, path, `must have 1..${MAX_BACKENDS} items, got ${v.length}`);
  }
  const before = sink.problems.length;
  const out: Backend[] = [];
  const ids: (string | undefined)[] = [];
  // Enabled backends' canonical addresses and ports; compared as pairs only when some address repeats.
  const addresses: (string | undefined)[] = [];
  const ports: number[] = [];
  let anyEnabled = false;
  for (let i = 0; i < v.length; i++) {
    const item: unknown = v[i];
    const b = fastBackend(item, policy) ?? readBackend(sink, item, indexPath(path, i), policy);
    ids.push(idForUniqueness(item, 'id', b?.id));
    addresses.push(b?.enabled ? b.address : undefined);
    ports.push(b?.enabled ? b.port : 0);
    if (b === undefined) continue;
    out.push(b);
    anyEnabled ||= b.enabled;
  }
  reportDuplicateIds(sink, ids, path, 'id');
  const endpoints = hasDuplicate(addresses)
    ? addresses.map((a, i) => (a === undefined ? a : `${ports[i]} ${a}`))
    : [];
  forEachDuplicate(endpoints, (i, first) => {
    const b = v[i] as JsonObject;
    const shown = `${describe(own(b, 'address'))} port ${describe(own(b, 'port'))}`;
    problem(
      sink,
      indexPath(path, i),
      `same address and port as ${indexPath(path, first)} (${shown}), both enabled`,
    );
  });
  if (sink.problems.length !== before) return undefined;
  if (!anyEnabled) {
    sink.warnings.push({ path, message: 'all backends are disabled: the load balancer will serve nothing' });
  }
  return out;
}

function hasDuplicate(keys: readonly (string | undefined)[]): boolean {
  const present = keys.filter((k): k is string => k !== undefined).sort();
  for (let i = 1; i < present.length; i++) if (present[i] === present[i - 1]) return true;
  return false;
}

/**
 * Calls `report(i, first)` for every key equal to an earlier one. Sorting first, and building a map only when
 * a duplicate exists: one 10,000-entry hash map cost more than all the rest of the validation.
 */
export function forEachDuplicate(
  keys: readonly (string | undefined)[],
  report: (i: number, first: number) => void,
): void {
  const present = keys.filter((k): k is string => k !== undefined).sort();
  let any = false;
  for (let i = 1; i < present.length && !any; i++) any = present[i] === present[i - 1];
  if (!any) return;
  const firstAt = new Map<string, number>();
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    if (k === undefined) continue;
    const first = firstAt.get(k);
    if (first === undefined) firstAt.set(k, i);
    else report(i, first);
  }
}
