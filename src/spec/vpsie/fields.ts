/** Field readers particular to the VPSie form: Go zero values as "unset", 0/1-or-boolean flags, algorithms. */
import type { Algorithm } from '../types.ts';
import {
  describe,
  field,
  type JsonObject,
  keyPath,
  problem,
  readInt,
  readString,
  type Sink,
} from '../read.ts';

/** An optional string field: absent, null and `""` all mean unset. */
export function optString(sink: Sink, obj: JsonObject, key: string, path: string): string | undefined {
  const raw = field(sink, obj, key, path, false);
  if (raw === undefined) return undefined;
  const s = readString(sink, raw, keyPath(path, key));
  return s === '' ? undefined : s;
}

/** A required string field: `""` is a problem like absence. */
export function reqString(sink: Sink, obj: JsonObject, key: string, path: string): string | undefined {
  const raw = field(sink, obj, key, path, true);
  if (raw === undefined) return undefined;
  const s = readString(sink, raw, keyPath(path, key));
  if (s === '') return void problem(sink, keyPath(path, key), 'is required, got ""');
  return s;
}

/**
 * An optional integer where 0 means unset. `zeroOk` distinguishes "present and invalid" from unset: the result
 * is `{ value }` (undefined value: unset) or undefined when invalid.
 */
export function optInt0(
  sink: Sink,
  obj: JsonObject,
  key: string,
  path: string,
  min: number,
  max: number,
): { value: number | undefined } | undefined {
  const raw = field(sink, obj, key, path, false);
  if (raw === undefined || raw === 0) return { value: undefined };
  const n = readInt(sink, raw, keyPath(path, key), min, max);
  return n === undefined ? undefined : { value: n };
}

/** A flag: the integer 0 or 1, or a boolean (the API reads them as integers and writes them as booleans). */
export function optFlag(
  sink: Sink,
  obj: JsonObject,
  key: string,
  path: string,
): { value: boolean | undefined } | undefined {
  const raw = field(sink, obj, key, path, false);
  if (raw === undefined) return { value: undefined };
  if (raw === true || raw === 1) return { value: true };
  if (raw === false || raw === 0) return { value: false };
  problem(sink, keyPath(path, key), `must be 0, 1, true or false, got ${describe(raw)}`);
  return undefined;
}

const ALGORITHMS: Readonly<Record<string, Algorithm>> = {
  roundrobin: 'round_robin',
  round_robin: 'round_robin',
  leastconn: 'least_request',
  least_connections: 'least_request',
  least_request: 'least_request',
  source: 'ring_hash',
  ring_hash: 'ring_hash',
  random: 'random',
};

export function optAlgorithm(
  sink: Sink,
  obj: JsonObject,
  key: string,
  path: string,
): { value: Algorithm | undefined } | undefined {
  const before = sink.problems.length;
  const s = optString(sink, obj, key, path);
  if (sink.problems.length !== before) return undefined;
  if (s === undefined) return { value: undefined };
  const a = Object.hasOwn(ALGORITHMS, s) ? ALGORITHMS[s] : undefined;
  if (a !== undefined) return { value: a };
  problem(
    sink,
    keyPath(path, key),
    `must be one of ${Object.keys(ALGORITHMS)
      .map((k) => JSON.stringify(k))
      .join(', ')}; got ${describe(s)}`,
  );
  return undefined;
}
