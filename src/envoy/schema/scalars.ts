/** proto3 JSON scalars as Envoy's loader accepts them. Pure; messages name what was expected and what came. */

export type ScalarValue = number | bigint | string | boolean;
export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

const fail = (message: string): { ok: false; message: string } => ({ ok: false, message });

/** "a number (5)", "a boolean (false)", "a list", … for messages. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  switch (typeof v) {
    case 'string':
      return `a string (${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)})`;
    case 'number':
      return `a number (${v})`;
    case 'boolean':
      return `a boolean (${v})`;
    case 'bigint':
      return `a number (${v})`;
    case 'object':
      return 'an object';
    default:
      return typeof v;
  }
}

interface IntSpec {
  readonly min: bigint;
  readonly max: bigint;
  readonly wide: boolean;
}
const INT: Record<string, IntSpec> = {
  int32: { min: -(2n ** 31n), max: 2n ** 31n - 1n, wide: false },
  sint32: { min: -(2n ** 31n), max: 2n ** 31n - 1n, wide: false },
  sfixed32: { min: -(2n ** 31n), max: 2n ** 31n - 1n, wide: false },
  uint32: { min: 0n, max: 2n ** 32n - 1n, wide: false },
  fixed32: { min: 0n, max: 2n ** 32n - 1n, wide: false },
  int64: { min: -(2n ** 63n), max: 2n ** 63n - 1n, wide: true },
  sint64: { min: -(2n ** 63n), max: 2n ** 63n - 1n, wide: true },
  sfixed64: { min: -(2n ** 63n), max: 2n ** 63n - 1n, wide: true },
  uint64: { min: 0n, max: 2n ** 64n - 1n, wide: true },
  fixed64: { min: 0n, max: 2n ** 64n - 1n, wide: true },
};

export const isIntegerType = (t: string): boolean => t in INT;
export const isWideIntegerType = (t: string): boolean => INT[t]?.wide === true;

const INT_STRING = /^-?\d+$/;
const FLOAT_STRING = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const FLOAT_MAX = 3.4028234663852886e38;

function parseInteger(type: string, spec: IntSpec, v: unknown): Parsed<number | bigint> {
  let big: bigint;
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || !Number.isInteger(v)) return fail(`expected an integer, got ${describe(v)}`);
    big = BigInt(v);
  } else if (typeof v === 'string') {
    const s = v.trim();
    if (INT_STRING.test(s)) big = BigInt(s);
    else if (FLOAT_STRING.test(s) && Number.isInteger(Number(s))) big = BigInt(Number(s));
    else return fail(`expected an integer, got ${describe(v)}`);
  } else {
    return fail(`expected an integer, got ${describe(v)}`);
  }
  if (big < spec.min) {
    return fail(
      spec.min === 0n
        ? `value must not be negative (${type}), got ${big}`
        : `value ${big} is out of range for ${type} (minimum ${spec.min})`,
    );
  }
  if (big > spec.max) return fail(`value ${big} is out of range for ${type} (maximum ${spec.max})`);
  return { ok: true, value: spec.wide ? big : Number(big) };
}

function parseFloating(type: string, v: unknown): Parsed<number> {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string') {
    const s = v.trim();
    if (s === 'NaN') n = Number.NaN;
    else if (s === 'Infinity') n = Number.POSITIVE_INFINITY;
    else if (s === '-Infinity') n = Number.NEGATIVE_INFINITY;
    else if (FLOAT_STRING.test(s)) n = Number(s);
    else return fail(`expected a number, got ${describe(v)}`);
  } else return fail(`expected a number, got ${describe(v)}`);
  if (type === 'float' && Number.isFinite(n) && Math.abs(n) > FLOAT_MAX) {
    return fail(`value ${n} is out of range for float`);
  }
  return { ok: true, value: n };
}

const BASE64 = /^(?:[A-Za-z0-9+/\-_]{4})*(?:[A-Za-z0-9+/\-_]{2}(?:==)?|[A-Za-z0-9+/\-_]{3}=?)?$/;

/** Parses one scalar of proto type `type` from its JSON form. Bytes come back as their decoded length. */
export function parseScalar(type: string, v: unknown): Parsed<ScalarValue> {
  const spec = INT[type];
  if (spec) return parseInteger(type, spec, v);
  switch (type) {
    case 'double':
    case 'float':
      return parseFloating(type, v);
    case 'bool':
      return typeof v === 'boolean' ? { ok: true, value: v } : fail(`expected a boolean, got ${describe(v)}`);
    case 'string':
      return typeof v === 'string' ? { ok: true, value: v } : fail(`expected a string, got ${describe(v)}`);
    case 'bytes':
      if (typeof v !== 'string') return fail(`expected a base64 string (bytes), got ${describe(v)}`);
      if (!BASE64.test(v)) return fail('expected base64 data (bytes)');
      return { ok: true, value: v };
    default:
      return fail(`unsupported scalar type ${type}`);
  }
}

/** Duration as nanoseconds. Envoy rejects negative durations and those beyond protobuf's range. */
const DURATION = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/;
const MAX_DURATION_SECONDS = 315_576_000_000n;

export function parseDuration(v: unknown): Parsed<bigint> {
  if (typeof v !== 'string') {
    return fail(`expected a duration string such as "5s" or "0.25s", got ${describe(v)}`);
  }
  const m = DURATION.exec(v);
  if (!m) {
    return fail(
      `invalid duration ${JSON.stringify(v)}: use seconds with an "s" suffix, e.g. "5s" or "0.25s"`,
    );
  }
  const seconds = BigInt(m[2] ?? '0');
  const nanos = BigInt((m[3] ?? '').padEnd(9, '0') || '0');
  if (seconds > MAX_DURATION_SECONDS) return fail(`duration ${v} is out of range`);
  const total = seconds * 1_000_000_000n + nanos;
  if (m[1] === '-' && total > 0n) return fail(`negative duration ${JSON.stringify(v)} is not allowed`);
  return { ok: true, value: total };
}

export function formatDuration(nanos: bigint): string {
  const neg = nanos < 0n;
  const abs = neg ? -nanos : nanos;
  const s = abs / 1_000_000_000n;
  const frac = (abs % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${s}${frac ? `.${frac}` : ''}s`;
}

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

export function parseTimestamp(v: unknown): Parsed<string> {
  if (typeof v !== 'string') return fail(`expected an RFC 3339 timestamp string, got ${describe(v)}`);
  if (!TIMESTAMP.test(v) || Number.isNaN(Date.parse(v)))
    return fail(`invalid timestamp ${JSON.stringify(v)}`);
  return { ok: true, value: v };
}

/** google.protobuf.*Value wrappers and the scalar each one carries. */
export const WRAPPERS: Readonly<Record<string, string>> = {
  'google.protobuf.DoubleValue': 'double',
  'google.protobuf.FloatValue': 'float',
  'google.protobuf.Int64Value': 'int64',
  'google.protobuf.UInt64Value': 'uint64',
  'google.protobuf.Int32Value': 'int32',
  'google.protobuf.UInt32Value': 'uint32',
  'google.protobuf.BoolValue': 'bool',
  'google.protobuf.StringValue': 'string',
  'google.protobuf.BytesValue': 'bytes',
};

export const defaultScalar = (type: string): ScalarValue => {
  if (type === 'string' || type === 'bytes') return '';
  if (type === 'bool') return false;
  return isWideIntegerType(type) ? 0n : 0;
};
