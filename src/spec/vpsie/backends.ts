/** A VPSie pool's backends: IP literals only, identifiers and addresses unique within the pool. */
import type { AddressPolicy } from '../address.ts';
import { checkAddress, forEachDuplicate, MAX_BACKENDS } from '../backend.ts';
import {
  describe,
  field,
  hasControlChar,
  indexPath,
  isObject,
  keyPath,
  noteUnknown,
  own,
  problem,
  readId,
  readObject,
  readString,
  type Sink,
} from '../read.ts';
import type { AddressKind } from '../types.ts';
import { optString } from './fields.ts';

export interface VpsieBackend {
  readonly identifier: string;
  readonly address: string;
  readonly addressKind: AddressKind;
  readonly vmIdentifier?: string;
}

const KNOWN = new Set(['ip', 'identifier', 'vmIdentifier', 'created_on']);

function readBackend(sink: Sink, v: unknown, path: string, policy: AddressPolicy): VpsieBackend | undefined {
  const obj = readObject(sink, v, path);
  if (obj === undefined) return undefined;
  noteUnknown(sink, obj, KNOWN, path);
  const before = sink.problems.length;
  const rawId = field(sink, obj, 'identifier', path, true);
  const identifier = rawId === undefined ? undefined : readId(sink, rawId, keyPath(path, 'identifier'), 64);
  const rawIp = field(sink, obj, 'ip', path, true);
  let address: { address: string; kind: AddressKind } | undefined;
  if (rawIp !== undefined) {
    const at = keyPath(path, 'ip');
    const s = readString(sink, rawIp, at);
    if (s !== undefined) {
      const checked = checkAddress(s, policy);
      if (typeof checked === 'string') problem(sink, at, checked);
      else if (checked.kind === 'hostname')
        problem(sink, at, `must be an IP address (host names are not allowed here), got ${describe(s)}`);
      else address = checked;
    }
  }
  const vm = optString(sink, obj, 'vmIdentifier', path);
  if (vm !== undefined && (vm.length > 128 || hasControlChar(vm))) {
    problem(
      sink,
      keyPath(path, 'vmIdentifier'),
      `must be at most 128 characters without control characters, got ${describe(vm)}`,
    );
  }
  if (sink.problems.length !== before || identifier === undefined || address === undefined) return undefined;
  return vm === undefined
    ? { identifier, address: address.address, addressKind: address.kind }
    : { identifier, address: address.address, addressKind: address.kind, vmIdentifier: vm };
}

/** `backends` of a rule or domain; 0..10000 items. */
export function readVpsieBackends(
  sink: Sink,
  v: unknown,
  path: string,
  policy: AddressPolicy,
): VpsieBackend[] | undefined {
  if (!Array.isArray(v)) return void problem(sink, path, `must be an array, got ${describe(v)}`);
  if (v.length > MAX_BACKENDS)
    return void problem(sink, path, `must have 0..${MAX_BACKENDS} items, got ${v.length}`);
  const before = sink.problems.length;
  const out: VpsieBackend[] = [];
  const ids: (string | undefined)[] = [];
  const addresses: (string | undefined)[] = [];
  for (let i = 0; i < v.length; i++) {
    const item: unknown = v[i];
    const b = readBackend(sink, item, indexPath(path, i), policy);
    const rawId = b !== undefined ? b.identifier : isObject(item) ? own(item, 'identifier') : undefined;
    ids.push(typeof rawId === 'string' && rawId !== '' ? rawId : undefined);
    addresses.push(b?.address);
    if (b !== undefined) out.push(b);
  }
  forEachDuplicate(ids, (i, first) =>
    problem(
      sink,
      `${indexPath(path, i)}.identifier`,
      `duplicate identifier ${describe(ids[i])} (also ${indexPath(path, first)})`,
    ),
  );
  forEachDuplicate(addresses, (i, first) =>
    problem(
      sink,
      indexPath(path, i),
      `same address as ${indexPath(path, first)} (${describe(addresses[i])}): they would be the same address and port`,
    ),
  );
  return sink.problems.length === before ? out : undefined;
}
