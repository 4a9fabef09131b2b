/**
 * The schema table turned into per-message field maps and precompiled value checkers, built lazily the first
 * time a message type is met and reused for every later check (no reflection per call).
 */
import type { EnumData, FieldData, JsonObject, MessageData, SchemaData } from './descriptor.ts';
import { collectionRules, compileValueRule, isRequired, type ValueRule } from './rules.ts';
import {
  defaultScalar,
  describe,
  type Parsed,
  parseDuration,
  parseScalar,
  parseTimestamp,
  type ScalarValue,
  WRAPPERS,
} from './scalars.ts';
import { child, type Path, type Walker } from './walker.ts';

/** Checks one value found at `parent.key`; the path object is only built when something is reported. */
export type Check = (v: unknown, parent: Path, key: string | number, w: Walker) => void;
/** Runs after a message's own fields were checked; `obj` is the message as written. */
export type Hook = (obj: Record<string, unknown>, path: Path, w: Walker) => void;

/** Which Any types an extension point accepts (e.g. only HTTP filters in http_filters). */
export interface Category {
  readonly label: string;
  allows(typeName: string): boolean;
}

export interface FieldInfo {
  readonly name: string;
  readonly jsonName: string;
  readonly oneof: number;
  readonly disallowed: boolean;
  readonly check: Check;
  /** Set when PGV rejects the field's absence (required message, min_len on a plain string, …). */
  readonly absentMessage: string | undefined;
}

export interface OneofInfo {
  readonly name: string;
  readonly required: boolean;
  readonly members: string[];
}

export interface MessageType {
  readonly name: string;
  readonly byKey: ReadonlyMap<string, FieldInfo>;
  readonly oneofs: readonly OneofInfo[];
  readonly requiredOneofs: readonly number[];
  readonly absent: readonly FieldInfo[];
  readonly hook: Hook | undefined;
}

export class EnumType {
  readonly byName: ReadonlyMap<string, number>;
  readonly byNumber: ReadonlyMap<number, string>;
  readonly disallowed: ReadonlySet<string>;
  constructor(
    readonly name: string,
    data: EnumData,
  ) {
    this.byName = new Map(Object.entries(data.values));
    const byNumber = new Map<number, string>();
    for (const [k, v] of Object.entries(data.values)) if (!byNumber.has(v)) byNumber.set(v, k);
    this.byNumber = byNumber;
    this.disallowed = new Set(data.disallowed ?? []);
  }

  parse(v: unknown): Parsed<number> {
    if (typeof v === 'string') {
      // protobuf's JSON reader (as Envoy runs it) also takes `round_robin`/`round-robin` and "3".
      const n = this.byName.get(v) ?? this.byName.get(v.toUpperCase().replace(/-/g, '_'));
      if (n !== undefined) return { ok: true, value: n };
      if (/^-?\d+$/.test(v)) return this.parse(Number(v));
      const names = [...this.byName.keys()];
      const shown = names.length > 12 ? `${names.slice(0, 12).join(', ')}, …` : names.join(', ');
      return {
        ok: false,
        message: `unknown value ${JSON.stringify(v)} for enum ${this.name} (expected one of ${shown})`,
      };
    }
    if (typeof v === 'number') {
      if (Number.isInteger(v) && this.byNumber.has(v)) return { ok: true, value: v };
      return { ok: false, message: `${v} is not a defined value of enum ${this.name}` };
    }
    return { ok: false, message: `expected an enum value name or number (${this.name}), got ${describe(v)}` };
  }
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const MAP_KEY: Record<string, RegExp> = {
  bool: /^(true|false)$/,
  string: /^/,
};

export class Registry {
  private readonly messages = new Map<string, MessageType>();
  private readonly enums = new Map<string, EnumType>();

  constructor(
    readonly data: SchemaData,
    private readonly hooks: Readonly<Record<string, Hook>>,
    private readonly categories: Readonly<Record<string, Category>>,
  ) {}

  hasMessage(name: string): boolean {
    return Object.hasOwn(this.data.messages, name);
  }

  message(name: string): MessageType | undefined {
    let t = this.messages.get(name);
    if (t) return t;
    if (!Object.hasOwn(this.data.messages, name)) return undefined; // names come from documents
    const d = this.data.messages[name];
    if (!d) return undefined;
    t = this.compileMessage(name, d);
    this.messages.set(name, t);
    return t;
  }

  enumType(name: string): EnumType | undefined {
    let e = this.enums.get(name);
    if (e) return e;
    if (!Object.hasOwn(this.data.enums, name)) return undefined;
    const d = this.data.enums[name];
    if (!d) return undefined;
    e = new EnumType(name, d);
    this.enums.set(name, e);
    return e;
  }

  /** Checker for a well-known type's `value` inside an Any (`{"@type": …Duration, "value": "1s"}`). */
  wellKnownValueCheck(typeName: string): Check | undefined {
    const special = new Set([
      'google.protobuf.Duration',
      'google.protobuf.Timestamp',
      'google.protobuf.FieldMask',
      'google.protobuf.Struct',
      'google.protobuf.Value',
      'google.protobuf.ListValue',
      ...Object.keys(WRAPPERS),
    ]);
    if (!special.has(typeName)) return undefined;
    return this.elementCheck({ name: 'value', type: typeName, kind: 'message' }, undefined, '');
  }

  private compileMessage(name: string, d: MessageData): MessageType {
    const byKey = new Map<string, FieldInfo>();
    const absent: FieldInfo[] = [];
    const oneofs: OneofInfo[] = (d.oneofs ?? []).map((o) => ({
      name: o.name,
      required: o.required === true && d.pgvDisabled !== true,
      members: [],
    }));
    for (const fd of d.fields) {
      const rules = d.pgvDisabled ? undefined : fd.rules;
      const info: FieldInfo = {
        name: fd.name,
        jsonName: fd.json ?? fd.name,
        oneof: fd.oneof ?? -1,
        disallowed: fd.disallowed === true,
        check: this.fieldCheck(fd, rules, name),
        absentMessage: fd.oneof !== undefined || fd.optional ? undefined : absentMessage(fd, rules),
      };
      byKey.set(fd.name, info);
      if (fd.json && fd.json !== fd.name && !byKey.has(fd.json)) byKey.set(fd.json, info);
      if (fd.oneof !== undefined) oneofs[fd.oneof]?.members.push(fd.name);
      if (info.absentMessage !== undefined) absent.push(info);
    }
    const requiredOneofs = oneofs.flatMap((o, i) => (o.required ? [i] : []));
    return { name, byKey, oneofs, requiredOneofs, absent, hook: this.hooks[name] };
  }

  private fieldCheck(fd: FieldData, rules: JsonObject | undefined, owner: string): Check {
    const category = this.categories[`${owner}.${fd.name}`];
    if (fd.label === 'map') return this.mapCheck(fd, rules);
    if (fd.label === 'repeated') return this.listCheck(fd, rules, category);
    return this.elementCheck(fd, rules, owner, category);
  }

  private listCheck(fd: FieldData, rules: JsonObject | undefined, category: Category | undefined): Check {
    const col = collectionRules(rules, 'repeated');
    const elem = this.elementCheck(fd, col.items, '', category);
    return (v, parent, key, w) => {
      if (!Array.isArray(v)) {
        // protobuf's JSON reader takes a lone value for a repeated field as a one-item list.
        elem(v, parent, key, w);
        return;
      }
      const n = v.length;
      if (!(col.ignoreEmpty && n === 0)) {
        if (col.min !== undefined && n < col.min)
          w.reportAt(parent, key, `value must contain at least ${col.min} item(s)`);
        if (col.max !== undefined && n > col.max)
          w.reportAt(parent, key, `value must contain no more than ${col.max} item(s)`);
      }
      const path = child(parent, key);
      const seen = col.unique ? new Set<string>() : undefined;
      for (let i = 0; i < n; i++) {
        const x = v[i];
        if (x === null || x === undefined) {
          w.reportAt(path, i, 'null is not allowed in a list');
          continue;
        }
        if (seen) {
          const k = JSON.stringify(x);
          if (seen.has(k)) w.reportAt(path, i, 'repeated value must contain unique items');
          seen.add(k);
        }
        elem(x, path, i, w);
      }
    };
  }

  private mapCheck(fd: FieldData, rules: JsonObject | undefined): Check {
    const col = collectionRules(rules, 'map');
    const keyType = fd.keyType ?? 'string';
    const keyRule = compileValueRule(col.keys, keyType);
    const value = this.elementCheck(fd, col.values, '');
    const keyPattern = MAP_KEY[keyType];
    return (v, parent, key, w) => {
      if (!isPlainObject(v)) {
        w.reportAt(parent, key, `expected an object (map of ${keyType} to ${fd.type}), got ${describe(v)}`);
        return;
      }
      const path = child(parent, key);
      const keys = Object.keys(v);
      if (!(col.ignoreEmpty && keys.length === 0)) {
        if (col.min !== undefined && keys.length < col.min) {
          w.reportAt(parent, key, `value must contain at least ${col.min} pair(s)`);
        }
        if (col.max !== undefined && keys.length > col.max) {
          w.reportAt(parent, key, `value must contain no more than ${col.max} pair(s)`);
        }
      }
      for (const k of keys) {
        let parsedKey: Parsed<ScalarValue> = { ok: true, value: k };
        if (keyPattern) {
          if (!keyPattern.test(k)) parsedKey = { ok: false, message: `invalid map key ${JSON.stringify(k)}` };
        } else parsedKey = parseScalar(keyType, k);
        if (!parsedKey.ok) w.reportAt(path, k, `invalid map key: ${parsedKey.message}`);
        else if (keyRule) {
          const m = keyRule(parsedKey.value);
          if (m !== undefined) w.reportAt(path, k, `map key ${m}`);
        }
        const x = v[k];
        if (x === null || x === undefined) {
          w.reportAt(path, k, 'null is not a valid map value');
          continue;
        }
        value(x, path, k, w);
      }
    };
  }

  /** Checks one value of the field's element type against its type and its value rules. */
  private elementCheck(
    fd: FieldData,
    rules: JsonObject | undefined,
    _owner: string,
    category?: Category,
  ): Check {
    if (fd.kind === 'scalar') return scalarCheck(fd.type, compileValueRule(rules, fd.type));
    if (fd.kind === 'enum') {
      const rule = compileValueRule(rules, 'enum');
      let en: EnumType | undefined;
      return (v, parent, key, w) => {
        en ??= this.enumType(fd.type);
        if (!en) return;
        let n = typeof v === 'string' ? en.byName.get(v) : undefined;
        if (n === undefined) {
          const r = en.parse(v);
          if (!r.ok) {
            w.reportAt(parent, key, r.message);
            return;
          }
          n = r.value;
        }
        if (en.disallowed.size > 0) {
          const name = en.byNumber.get(n);
          if (name !== undefined && en.disallowed.has(name)) {
            w.reportAt(
              parent,
              key,
              `enum value ${name} of ${en.name} is deprecated and disallowed by default`,
            );
          }
        }
        const m = rule?.(n);
        if (m !== undefined) w.reportAt(parent, key, m);
      };
    }
    const t = fd.type;
    const wrapped = WRAPPERS[t];
    if (wrapped !== undefined) return scalarCheck(wrapped, compileValueRule(rules, wrapped));
    switch (t) {
      case 'google.protobuf.Duration': {
        const rule = compileValueRule(rules, 'duration');
        return (v, parent, key, w) => {
          const r = parseDuration(v);
          if (!r.ok) w.reportAt(parent, key, r.message);
          else {
            const m = rule?.(r.value);
            if (m !== undefined) w.reportAt(parent, key, m);
          }
        };
      }
      case 'google.protobuf.Timestamp':
        return (v, parent, key, w) => {
          const r = parseTimestamp(v);
          if (!r.ok) w.reportAt(parent, key, r.message);
        };
      case 'google.protobuf.FieldMask':
        return scalarCheck('string', undefined);
      case 'google.protobuf.Value':
        return () => {};
      case 'google.protobuf.Struct':
        return (v, parent, key, w) => {
          if (!isPlainObject(v))
            w.reportAt(parent, key, `expected an object (google.protobuf.Struct), got ${describe(v)}`);
        };
      case 'google.protobuf.ListValue':
        return (v, parent, key, w) => {
          if (!Array.isArray(v))
            w.reportAt(parent, key, `expected a list (google.protobuf.ListValue), got ${describe(v)}`);
        };
      case 'google.protobuf.Any': {
        const rule = compileValueRule(rules, 'any');
        return (v, parent, key, w) => {
          const path = child(parent, key);
          const url = w.any(v, path, category);
          if (url !== undefined && rule) {
            const m = rule(url);
            if (m !== undefined) w.reportAt(path, '@type', m);
          }
        };
      }
      default: {
        let mt: MessageType | undefined;
        return (v, parent, key, w) => {
          mt ??= this.message(t);
          if (mt) w.message(mt, v, child(parent, key));
        };
      }
    }
  }
}

/** Fast paths for the common, well-typed cases (no result objects); everything else takes parseScalar. */
const NARROW_INT: Readonly<Record<string, [number, number]>> = {
  int32: [-2147483648, 2147483647],
  sint32: [-2147483648, 2147483647],
  sfixed32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
  fixed32: [0, 4294967295],
};

function scalarCheck(type: string, rule: ValueRule | undefined): Check {
  const slow: Check = (v, parent, key, w) => {
    const r = parseScalar(type, v);
    if (!r.ok) {
      w.reportAt(parent, key, r.message);
      return;
    }
    if (rule) {
      const m = rule(r.value);
      if (m !== undefined) w.reportAt(parent, key, m);
    }
  };
  const range = NARROW_INT[type];
  const fast =
    type === 'string'
      ? (v: unknown): v is string => typeof v === 'string'
      : type === 'bool'
        ? (v: unknown): v is boolean => typeof v === 'boolean'
        : type === 'double'
          ? (v: unknown): v is number => typeof v === 'number'
          : range !== undefined
            ? (v: unknown): v is number =>
                typeof v === 'number' && Number.isInteger(v) && v >= range[0] && v <= range[1]
            : undefined;
  if (!fast) return slow;
  return (v, parent, key, w) => {
    if (!fast(v)) {
      slow(v, parent, key, w);
      return;
    }
    if (rule) {
      const m = rule(v);
      if (m !== undefined) w.reportAt(parent, key, m);
    }
  };
}

function absentMessage(fd: FieldData, rules: JsonObject | undefined): string | undefined {
  if (!rules) return undefined;
  const missing = `required field "${fd.name}" is missing`;
  if (fd.label === 'repeated' || fd.label === 'map') {
    const col = collectionRules(rules, fd.label);
    if (col.min !== undefined && col.min > 0 && !col.ignoreEmpty) {
      return `${missing} (value must contain at least ${col.min} ${fd.label === 'map' ? 'pair' : 'item'}(s))`;
    }
    return undefined;
  }
  if (fd.kind === 'message') return isRequired(rules) ? missing : undefined;
  const rule = compileValueRule(rules, fd.kind === 'enum' ? 'enum' : fd.type);
  const m = rule?.(fd.kind === 'enum' ? 0 : defaultScalar(fd.type));
  return m === undefined ? undefined : `${missing} (${m})`;
}
