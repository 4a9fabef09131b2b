/** protoc-gen-validate rules compiled once per field into small predicate functions. */
import { isIP } from 'node:net';
import type { JsonObject, JsonValue } from './descriptor.ts';
import { re2ToRegExp } from './re2.ts';
import { formatDuration, type ScalarValue } from './scalars.ts';

/** Returns the violation message, or undefined when the value passes. */
export type ValueRule = (v: ScalarValue) => string | undefined;

const isObj = (v: JsonValue | undefined): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

type Num = number | bigint;

function toNum(v: JsonValue | undefined, wide: boolean): Num | undefined {
  if (typeof v === 'number') return wide ? BigInt(Math.trunc(v)) : v;
  if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v))
    return wide ? BigInt(v.split('.')[0] ?? '0') : Number(v);
  return undefined;
}

function durationNanos(v: JsonValue | undefined): bigint | undefined {
  if (!isObj(v)) return undefined;
  const s = toNum(v.seconds, true) ?? 0n;
  const n = toNum(v.nanos, true) ?? 0n;
  return BigInt(s) * 1_000_000_000n + BigInt(n);
}

interface Bounds<T> {
  readonly lt?: T;
  readonly lte?: T;
  readonly gt?: T;
  readonly gte?: T;
  readonly const?: T;
  readonly in?: T[];
  readonly notIn?: T[];
}

function boundsRule<T extends Num>(b: Bounds<T>, show: (x: T) => string): (x: T) => string | undefined {
  const lower = b.gt ?? b.gte;
  const upper = b.lt ?? b.lte;
  const lowerOk = (x: T): boolean =>
    b.gt !== undefined ? x > b.gt : b.gte !== undefined ? x >= b.gte : true;
  const upperOk = (x: T): boolean =>
    b.lt !== undefined ? x < b.lt : b.lte !== undefined ? x <= b.lte : true;
  const lowerText =
    b.gt !== undefined
      ? `greater than ${show(b.gt)}`
      : b.gte !== undefined
        ? `greater than or equal to ${show(b.gte)}`
        : '';
  const upperText =
    b.lt !== undefined
      ? `less than ${show(b.lt)}`
      : b.lte !== undefined
        ? `less than or equal to ${show(b.lte)}`
        : '';
  return (x) => {
    if (b.const !== undefined && x !== b.const) return `value must equal ${show(b.const)}`;
    if (lower !== undefined && upper !== undefined && upper < lower) {
      // PGV: an inverted pair means "outside the range".
      if (!lowerOk(x) && !upperOk(x)) return `value must be ${upperText} or ${lowerText}`;
    } else {
      if (lower !== undefined && !lowerOk(x)) {
        return upper !== undefined
          ? `value must be ${lowerText} and ${upperText}`
          : `value must be ${lowerText}`;
      }
      if (upper !== undefined && !upperOk(x)) {
        return lower !== undefined
          ? `value must be ${lowerText} and ${upperText}`
          : `value must be ${upperText}`;
      }
    }
    if (b.in && !b.in.includes(x)) return `value must be one of [${b.in.map(show).join(', ')}]`;
    if (b.notIn?.includes(x)) return `value must not be one of [${b.notIn.map(show).join(', ')}]`;
    return undefined;
  };
}

function readBounds<T>(r: JsonObject, conv: (v: JsonValue | undefined) => T | undefined): Bounds<T> {
  const list = (v: JsonValue | undefined): T[] | undefined =>
    Array.isArray(v)
      ? v.map(conv).filter((x): x is T => x !== undefined)
      : v === undefined
        ? undefined
        : [conv(v)].filter((x): x is T => x !== undefined);
  const out: { -readonly [K in keyof Bounds<T>]: Bounds<T>[K] } = {};
  const lt = conv(r.lt);
  const lte = conv(r.lte);
  const gt = conv(r.gt);
  const gte = conv(r.gte);
  const c = conv(r.const);
  if (lt !== undefined) out.lt = lt;
  if (lte !== undefined) out.lte = lte;
  if (gt !== undefined) out.gt = gt;
  if (gte !== undefined) out.gte = gte;
  if (c !== undefined) out.const = c;
  const i = list(r.in);
  const n = list(r.not_in);
  if (i && i.length > 0) out.in = i;
  if (n && n.length > 0) out.notIn = n;
  return out;
}

const isDefault = (v: ScalarValue): boolean => v === '' || v === 0 || v === 0n || v === false;

const HEADER_NAME_STRICT = /^:?[0-9a-zA-Z!#$%&'*+\-.^_|~`]+$/;
/** PGV's non-strict header rule: no NUL, LF or CR. */
const headerLax = (s: string): boolean => !/[\0\n\r]/.test(s);
/** PGV's strict header value rule: no control characters except horizontal tab. */
const headerValueStrict = (s: string): boolean => {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return false;
  }
  return true;
};
const HOSTNAME =
  /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

function stringRule(r: JsonObject): (s: string) => string | undefined {
  const checks: ((s: string) => string | undefined)[] = [];
  const n = (k: string): number | undefined => {
    const v = toNum(r[k], false);
    return v === undefined ? undefined : Number(v);
  };
  const chars = (s: string): number => {
    let c = 0;
    for (const _ of s) c++;
    return c;
  };
  const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');
  if (typeof r.const === 'string') {
    const c = r.const;
    checks.push((s) => (s === c ? undefined : `value must equal ${JSON.stringify(c)}`));
  }
  const len = n('len');
  if (len !== undefined)
    checks.push((s) => (chars(s) === len ? undefined : `value length must be ${len} characters`));
  const minLen = n('min_len');
  if (minLen !== undefined) {
    checks.push((s) =>
      chars(s) >= minLen ? undefined : `value length must be at least ${minLen} characters`,
    );
  }
  const maxLen = n('max_len');
  if (maxLen !== undefined) {
    checks.push((s) =>
      chars(s) <= maxLen ? undefined : `value length must be at most ${maxLen} characters`,
    );
  }
  const lenBytes = n('len_bytes');
  if (lenBytes !== undefined) {
    checks.push((s) => (bytes(s) === lenBytes ? undefined : `value length must be ${lenBytes} bytes`));
  }
  const minBytes = n('min_bytes');
  if (minBytes !== undefined) {
    checks.push((s) =>
      bytes(s) >= minBytes ? undefined : `value length must be at least ${minBytes} bytes`,
    );
  }
  const maxBytes = n('max_bytes');
  if (maxBytes !== undefined) {
    checks.push((s) => (bytes(s) <= maxBytes ? undefined : `value length must be at most ${maxBytes} bytes`));
  }
  if (typeof r.pattern === 'string') {
    const p = r.pattern;
    const re = re2ToRegExp(p);
    if (re)
      checks.push((s) =>
        re.test(s) ? undefined : `value does not match regex pattern ${JSON.stringify(p)}`,
      );
  }
  for (const [key, verb, test] of [
    ['prefix', 'start with', (s: string, x: string) => s.startsWith(x)],
    ['suffix', 'end with', (s: string, x: string) => s.endsWith(x)],
    ['contains', 'contain', (s: string, x: string) => s.includes(x)],
  ] as const) {
    const x = r[key];
    if (typeof x === 'string')
      checks.push((s) => (test(s, x) ? undefined : `value must ${verb} ${JSON.stringify(x)}`));
  }
  if (typeof r.not_contains === 'string') {
    const x = r.not_contains;
    checks.push((s) => (s.includes(x) ? `value must not contain ${JSON.stringify(x)}` : undefined));
  }
  if (Array.isArray(r.in)) {
    const set = r.in.filter((x): x is string => typeof x === 'string');
    checks.push((s) => (set.includes(s) ? undefined : `value must be one of ${JSON.stringify(set)}`));
  }
  if (Array.isArray(r.not_in)) {
    const set = r.not_in.filter((x): x is string => typeof x === 'string');
    checks.push((s) => (set.includes(s) ? `value must not be one of ${JSON.stringify(set)}` : undefined));
  }
  const strict = r.strict !== false;
  const wkr = r.well_known_regex;
  if (wkr === 'HTTP_HEADER_NAME' || wkr === 1) {
    const ok = strict ? (s: string) => HEADER_NAME_STRICT.test(s) : headerLax;
    checks.push((s) => (ok(s) ? undefined : 'value is not a valid HTTP header name'));
  } else if (wkr === 'HTTP_HEADER_VALUE' || wkr === 2) {
    const ok = strict ? headerValueStrict : headerLax;
    checks.push((s) => (ok(s) ? undefined : 'value is not a valid HTTP header value'));
  }
  if (r.hostname === true)
    checks.push((s) => (HOSTNAME.test(s) ? undefined : 'value must be a valid hostname'));
  if (r.ip === true) checks.push((s) => (isIP(s) ? undefined : 'value must be a valid IP address'));
  if (r.ipv4 === true) checks.push((s) => (isIP(s) === 4 ? undefined : 'value must be a valid IPv4 address'));
  if (r.ipv6 === true) checks.push((s) => (isIP(s) === 6 ? undefined : 'value must be a valid IPv6 address'));
  if (r.address === true) {
    checks.push((s) =>
      isIP(s) || HOSTNAME.test(s) ? undefined : 'value must be a valid hostname or IP address',
    );
  }
  if (r.uuid === true) checks.push((s) => (UUID.test(s) ? undefined : 'value must be a valid UUID'));
  if (r.uri === true) checks.push((s) => (URL.canParse(s) ? undefined : 'value must be an absolute URI'));
  return (s) => {
    for (const c of checks) {
      const m = c(s);
      if (m !== undefined) return m;
    }
    return undefined;
  };
}

const WIDE = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const NUMERIC = new Set([
  'int32',
  'uint32',
  'sint32',
  'fixed32',
  'sfixed32',
  'int64',
  'uint64',
  'sint64',
  'fixed64',
  'sfixed64',
  'double',
  'float',
]);

/**
 * Compiles the rule for one value. `ruleKey` is the FieldRules member that applies to the value's type:
 * a scalar type name, `enum` (value: number), `duration` (value: bigint nanos), `any` (value: type URL).
 */
export function compileValueRule(rules: JsonObject | undefined, ruleKey: string): ValueRule | undefined {
  const r = rules?.[ruleKey];
  if (!isObj(r)) return undefined;
  const ignoreEmpty = r.ignore_empty === true;
  let rule: ValueRule | undefined;
  if (NUMERIC.has(ruleKey) || ruleKey === 'enum') {
    const wide = WIDE.has(ruleKey);
    const b = readBounds<Num>(r, (v) => toNum(v, wide));
    if (Object.keys(b).length === 0) return undefined;
    const f = boundsRule<Num>(b, String);
    rule = (v) => (typeof v === 'number' || typeof v === 'bigint' ? f(v) : undefined);
  } else if (ruleKey === 'duration') {
    const b = readBounds<bigint>(r, durationNanos);
    if (Object.keys(b).length === 0) return undefined;
    const f = boundsRule<bigint>(b, formatDuration);
    rule = (v) => (typeof v === 'bigint' ? f(v) : undefined);
  } else if (ruleKey === 'string') {
    const f = stringRule(r);
    rule = (v) => (typeof v === 'string' ? f(v) : undefined);
  } else if (ruleKey === 'bytes') {
    const f = stringRule({
      min_bytes: r.min_len ?? null,
      max_bytes: r.max_len ?? null,
      len_bytes: r.len ?? null,
    });
    rule = (v) => (typeof v === 'string' ? f(Buffer.from(v, 'base64').toString('latin1')) : undefined);
  } else if (ruleKey === 'bool') {
    if (typeof r.const !== 'boolean') return undefined;
    const c = r.const;
    rule = (v) => (v === c ? undefined : `value must equal ${c}`);
  } else if (ruleKey === 'any') {
    const inList = Array.isArray(r.in) ? r.in.filter((x): x is string => typeof x === 'string') : [];
    const notIn = Array.isArray(r.not_in) ? r.not_in.filter((x): x is string => typeof x === 'string') : [];
    if (inList.length === 0 && notIn.length === 0) return undefined;
    rule = (v) => {
      if (typeof v !== 'string') return undefined;
      if (inList.length > 0 && !inList.includes(v)) return `type must be one of ${JSON.stringify(inList)}`;
      if (notIn.includes(v)) return `type must not be one of ${JSON.stringify(notIn)}`;
      return undefined;
    };
  }
  if (!rule || !ignoreEmpty) return rule;
  const inner = rule;
  return (v) => (isDefault(v) ? undefined : inner(v));
}

/** `repeated` / `map` rules that look at the collection itself. */
export interface CollectionRules {
  readonly min?: number;
  readonly max?: number;
  readonly unique?: boolean;
  readonly ignoreEmpty?: boolean;
  readonly items?: JsonObject;
  readonly keys?: JsonObject;
  readonly values?: JsonObject;
}

export function collectionRules(rules: JsonObject | undefined, label: 'repeated' | 'map'): CollectionRules {
  const r = rules?.[label];
  if (!isObj(r)) return {};
  const num = (v: JsonValue | undefined): number | undefined => {
    const x = toNum(v, false);
    return x === undefined ? undefined : Number(x);
  };
  const out: { -readonly [K in keyof CollectionRules]: CollectionRules[K] } = {};
  const min = num(label === 'repeated' ? r.min_items : r.min_pairs);
  const max = num(label === 'repeated' ? r.max_items : r.max_pairs);
  if (min !== undefined) out.min = min;
  if (max !== undefined) out.max = max;
  if (r.unique === true) out.unique = true;
  if (r.ignore_empty === true) out.ignoreEmpty = true;
  if (isObj(r.items)) out.items = r.items;
  if (isObj(r.keys)) out.keys = r.keys;
  if (isObj(r.values)) out.values = r.values;
  return out;
}

/** `message.required`, `duration.required`, `any.required`, `timestamp.required`. */
export function isRequired(rules: JsonObject | undefined): boolean {
  if (!rules) return false;
  for (const k of ['message', 'duration', 'any', 'timestamp']) {
    const r = rules[k];
    if (isObj(r) && r.required === true) return true;
  }
  return false;
}
