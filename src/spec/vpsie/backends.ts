/** A VPSie pool's backends: IP literals only, identifiers and addresses unique within the pool. */
import type { AddressPolicy } from '../address.ts';
import {
  forEachDuplicate,
  idForUniqueness,
  MAX_BACKENDS,
  readAddressField,
  reportDuplicateIds,
} from '../backend.ts';
import {
  describe,
  field,
  hasControlChar,
  indexPath,
  keyPath,
  noteUnknown,
  problem,
  readId,
  readObject,
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
  const address = readAddressField(sink, obj, 'ip', path, policy, true);
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
    ids.push(idForUniqueness(item, 'identifier', b?.identifier));
    addresses.push(b?.address);
    if (b !== undefined) out.push(b);
  }
  reportDuplicateIds(sink, ids, path, 'identifier');
  forEachDuplicate(addresses, (i, first) =>
    problem(
      sink,
      indexPath(path, i),
      `same address as ${indexPath(path, first)} (${describe(addresses[i])}): they would be the same address and port`,
    ),
  );
  return sink.problems.length === before ? out : undefined;
}
