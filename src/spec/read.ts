/**
 * Small hand-written readers for untrusted JSON. Chosen over zod because the contract's rules are mostly custom
 * (paths relative to the envelope, "null means absent", every problem at once, exact messages) and because a
 * 10,000-backend document must validate in a few milliseconds: these allocate nothing per field but the result.
 */
import type { Problem } from '../util/result.ts';

export interface Sink {
  readonly problems: Problem[];
  readonly warnings: Problem[];
  readonly ignored: string[];
}

export type JsonObject = Readonly<Record<string, unknown>>;

const SHOWN_CHARS = 40;

/** A value as it may appear in a message: short, escaped, never an object's contents. */
export function describe(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return v.length > SHOWN_CHARS
        ? `${JSON.stringify(v.slice(0, SHOWN_CHARS))}… (${v.length} chars)`
        : JSON.stringify(v);
    case 'number':
      return Object.is(v, -0) ? '-0' : String(v);
    case 'boolean':
      return String(v);
    case 'undefined':
      return 'nothing';
    case 'object':
      if (v === null) return 'null';
      return Array.isArray(v) ? 'an array' : 'an object';
    default:
      return `a ${typeof v}`;
  }
}

/** For secrets: the JSON type only. */
export function describeType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  switch (typeof v) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'a boolean';
    case 'object':
      return 'an object';
    default:
      return `a ${typeof v}`;
  }
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `a.b` for plain keys; `a["x y"]` for anything else, so every path stays unambiguous. */
export function keyPath(base: string, key: string): string {
  if (PLAIN_KEY.test(key)) return base === '' ? key : `${base}.${key}`;
  return `${base}[${JSON.stringify(key)}]`;
}

export const indexPath = (base: string, i: number): string => `${base}[${i}]`;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An own property only: inherited names (`constructor`, `toString`) never count as fields. */
export function own(obj: JsonObject, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

export function problem(sink: Sink, path: string, message: string): void {
  sink.problems.push({ path, message });
}

/** Lists unknown keys as ignored. `__proto__` is reported separately (see `findProtoKeys`). */
export function noteUnknown(sink: Sink, obj: JsonObject, known: ReadonlySet<string>, path: string): void {
  for (const key of Object.keys(obj)) {
    if (!known.has(key) && key !== '__proto__') sink.ignored.push(keyPath(path, key));
  }
}

/**
 * The field's value, or undefined when absent or null (null means absent for optional fields). For a required
 * field, absence and null are problems.
 */
export function field(sink: Sink, obj: JsonObject, key: string, path: string, required: boolean): unknown {
  const v = own(obj, key);
  if (v === undefined || v === null) {
    if (required) problem(sink, keyPath(path, key), v === null ? 'is required, got null' : 'is required');
    return undefined;
  }
  return v;
}

export function readInt(sink: Sink, v: unknown, path: string, min: number, max: number): number | undefined {
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    problem(sink, path, `must be an integer, got ${describe(v)}`);
    return undefined;
  }
  if (v < min || v > max) {
    problem(sink, path, `must be ${min}..${max}, got ${describe(v)}`);
    return undefined;
  }
  return v === 0 ? 0 : v; // -0 → 0
}

export function readBool(sink: Sink, v: unknown, path: string): boolean | undefined {
  if (typeof v === 'boolean') return v;
  problem(sink, path, `must be a boolean, got ${describe(v)}`);
  return undefined;
}

export function readString(sink: Sink, v: unknown, path: string, secret = false): string | undefined {
  if (typeof v === 'string') return v;
  problem(sink, path, `must be a string, got ${secret ? describeType(v) : describe(v)}`);
  return undefined;
}

export function readEnum<T extends string>(
  sink: Sink,
  v: unknown,
  path: string,
  allowed: readonly T[],
): T | undefined {
  const s = readString(sink, v, path);
  if (s === undefined) return undefined;
  if ((allowed as readonly string[]).includes(s)) return s as T;
  problem(
    sink,
    path,
    `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}; got ${describe(s)}`,
  );
  return undefined;
}

export function readObject(sink: Sink, v: unknown, path: string): JsonObject | undefined {
  if (isObject(v)) return v;
  problem(sink, path, `must be an object, got ${describe(v)}`);
  return undefined;
}

/** A present array must be an array and, unless `allowEmpty`, not empty. */
export function readArray(sink: Sink, v: unknown, path: string): readonly unknown[] | undefined {
  if (!Array.isArray(v)) {
    problem(sink, path, `must be an array, got ${describe(v)}`);
    return undefined;
  }
  if (v.length === 0) {
    problem(sink, path, 'must not be empty');
    return undefined;
  }
  return v;
}

const ID = /^[A-Za-z0-9_-]+$/;

/** `^[A-Za-z0-9_-]+$` (ASCII only: no `i`/`u` flag, so no case folding; no `m`, so `$` is the end). */
export function readId(sink: Sink, v: unknown, path: string, maxLength: number): string | undefined {
  const s = readString(sink, v, path);
  if (s === undefined) return undefined;
  if (s.length < 1 || s.length > maxLength) {
    problem(sink, path, `must be 1..${maxLength} characters, got ${s.length}`);
    return undefined;
  }
  if (!ID.test(s)) {
    problem(sink, path, `may hold only ASCII letters, digits, "_" and "-", got ${describe(s)}`);
    return undefined;
  }
  return s;
}

/** C0, DEL and C1 control characters. */
export function hasControlChar(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}
