/** Walks a document against a message type, collecting problems and the facts the semantic layer needs. */
import { joinPath, type Problem } from '../../util/result.ts';
import type { Category, FieldInfo, MessageType, Registry } from './registry.ts';
import { describe } from './scalars.ts';

/** Paths are linked lists while walking; they become strings only when something is reported. */
export interface PathNode {
  readonly parent: Path;
  readonly key: string | number;
}
export type Path = PathNode | null;

export const child = (parent: Path, key: string | number): PathNode => ({ parent, key });

export function pathString(p: Path): string {
  const keys: (string | number)[] = [];
  for (let n = p; n !== null; n = n.parent) keys.push(n.key);
  let out = '';
  for (let i = keys.length - 1; i >= 0; i--) out = joinPath(out, keys[i] as string | number);
  return out;
}

export interface SchemaCheckOptions {
  /** Files named by path_config_source / DataSource.filename must exist (relative to baseDir). */
  checkFiles?: boolean;
  baseDir?: string;
}

/** A cluster name used somewhere; `xds` ones must be static, non-EDS clusters even with CDS. */
export interface ClusterRef {
  readonly name: string;
  readonly path: Path;
  readonly xds: boolean;
}

export interface Facts {
  readonly clusterRefs: ClusterRef[];
  /** SDS secret configs without sds_config: they name static secrets. */
  readonly staticSecretRefs: { name: string; path: Path }[];
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const TYPED_STRUCTS = new Set(['xds.type.v3.TypedStruct', 'udpa.type.v1.TypedStruct']);

/** Type name after the last '/' of a type URL, or undefined when the URL has no '/'. */
export const typeNameOf = (url: string): string | undefined => {
  const i = url.lastIndexOf('/');
  return i < 0 ? undefined : url.slice(i + 1);
};

function closest(key: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(key.length / 4)) + 1;
  for (const c of candidates) {
    if (Math.abs(c.length - key.length) >= bestD) continue;
    const d = editDistance(key, c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

export class Walker {
  readonly problems: Problem[] = [];
  readonly facts: Facts = { clusterRefs: [], staticSecretRefs: [] };

  constructor(
    readonly registry: Registry,
    readonly options: SchemaCheckOptions,
  ) {}

  report(path: Path, message: string): void {
    this.problems.push({ path: pathString(path), message });
  }

  reportAt(parent: Path, key: string | number, message: string): void {
    this.report(child(parent, key), message);
  }

  /** Checks `v` as message `t`. `anyBody`: `v` is an Any, so its "@type" key belongs to the wrapper. */
  message(t: MessageType, v: unknown, path: Path, anyBody = false): void {
    if (!isPlainObject(v)) {
      this.report(path, `expected an object (${t.name}), got ${describe(v)}`);
      return;
    }
    let seen = 0; // bit i: oneof i has a member set
    for (const key in v) {
      if (anyBody && key === '@type') continue;
      const f = t.byKey.get(key);
      if (f === undefined) {
        const hint = closest(key, t.byKey.keys());
        this.reportAt(
          path,
          key,
          `unknown field ${JSON.stringify(key)} in ${t.name}${hint ? ` (did you mean ${JSON.stringify(hint)}?)` : ''}`,
        );
        continue;
      }
      const val = v[key];
      if (val === null || val === undefined) continue; // proto3 JSON: null means "not set"
      if (key !== f.name && v[f.name] !== undefined) {
        this.reportAt(
          path,
          key,
          `field ${JSON.stringify(f.name)} is set twice (also as ${JSON.stringify(key)})`,
        );
      }
      if (f.oneof >= 0) {
        const bit = 1 << f.oneof;
        if (seen & bit) this.oneofConflict(t, v, f.oneof, key, path);
        else seen |= bit;
      }
      if (f.disallowed && isSet(val)) {
        this.reportAt(
          path,
          key,
          `field ${JSON.stringify(f.name)} of ${t.name} is deprecated and disallowed by default`,
        );
      }
      f.check(val, path, key, this);
    }
    const absent = t.absent;
    for (let i = 0; i < absent.length; i++) {
      const f = absent[i] as FieldInfo;
      if (v[f.name] == null && v[f.jsonName] == null) this.reportAt(path, f.name, f.absentMessage ?? '');
    }
    for (const i of t.requiredOneofs) {
      if ((seen & (1 << i)) === 0) {
        const o = t.oneofs[i];
        if (o) {
          this.reportAt(
            path,
            o.name,
            `oneof ${JSON.stringify(o.name)} must be set (one of: ${o.members.join(', ')})`,
          );
        }
      }
    }
    t.hook?.(v, path, this);
  }

  private oneofConflict(
    t: MessageType,
    v: Record<string, unknown>,
    index: number,
    key: string,
    path: Path,
  ): void {
    const o = t.oneofs[index];
    let first = '';
    for (const k in v) {
      const f = t.byKey.get(k);
      if (f?.oneof === index && v[k] != null) {
        first = f.name;
        break;
      }
    }
    this.reportAt(
      path,
      key,
      `only one member of oneof ${JSON.stringify(o?.name ?? '')} may be set, but ${JSON.stringify(first)} is set too`,
    );
  }

  /** Checks a google.protobuf.Any; returns the type URL when the type is known. */
  any(v: unknown, path: Path, category?: Category): string | undefined {
    if (!isPlainObject(v)) {
      this.report(path, `expected an object (google.protobuf.Any), got ${describe(v)}`);
      return undefined;
    }
    const typePath = child(path, '@type');
    const url = v['@type'];
    if (url === undefined || url === null) {
      this.report(
        typePath,
        'missing "@type" in google.protobuf.Any (e.g. "type.googleapis.com/<message name>")',
      );
      return undefined;
    }
    if (typeof url !== 'string') {
      this.report(typePath, `expected a string, got ${describe(url)}`);
      return undefined;
    }
    const name = this.resolveTypeUrl(url, typePath);
    if (name === undefined) return undefined;
    const wkt = this.registry.wellKnownValueCheck(name);
    if (wkt) {
      for (const k of Object.keys(v)) {
        if (k !== '@type' && k !== 'value')
          this.report(child(path, k), `unknown field ${JSON.stringify(k)} in ${name}`);
      }
      if (v.value === undefined)
        this.report(child(path, 'value'), `missing "value" for well-known type ${name}`);
      else wkt(v.value, path, 'value', this);
      return url;
    }
    const mt = this.registry.message(name);
    if (!mt) return undefined;
    if (TYPED_STRUCTS.has(name)) {
      this.message(mt, v, path, true);
      this.typedStruct(v, path, category);
      return url;
    }
    if (category && !category.allows(name)) this.report(typePath, `${name} is not a ${category.label} type`);
    this.message(mt, v, path, true);
    return url;
  }

  /** Resolves a type URL to a known message name, reporting why when it cannot. */
  resolveTypeUrl(url: string, typePath: Path): string | undefined {
    const name = typeNameOf(url);
    if (name === undefined || name === '') {
      this.report(
        typePath,
        `invalid type URL ${JSON.stringify(url)}: expected "type.googleapis.com/<message name>"`,
      );
      return undefined;
    }
    if (this.registry.hasMessage(name)) return name;
    const v3 = Object.hasOwn(this.registry.data.previous, name)
      ? this.registry.data.previous[name]
      : undefined;
    if (v3 !== undefined || /\.v2(alpha\d*|beta\d*)?\./.test(name) || name.startsWith('envoy.api.v2')) {
      this.report(
        typePath,
        `only v3 API types are supported; ${name} is an older API version${v3 ? ` (use ${v3})` : ''}`,
      );
      return undefined;
    }
    this.report(typePath, `unknown type ${JSON.stringify(name)} (not an Envoy v3 API message)`);
    return undefined;
  }

  /** TypedStruct carries an extension config as a Struct; Envoy converts it, so check it as that type. */
  private typedStruct(v: Record<string, unknown>, path: Path, category?: Category): void {
    const inner = v.type_url;
    if (typeof inner !== 'string' || inner === '') return;
    const name = typeNameOf(inner);
    if (name === undefined || !this.registry.hasMessage(name)) return; // custom (e.g. Wasm) types are opaque
    if (category && !category.allows(name))
      this.report(child(path, 'type_url'), `${name} is not a ${category.label} type`);
    const mt = this.registry.message(name);
    if (mt && v.value !== undefined && v.value !== null) this.message(mt, v.value, child(path, 'value'));
  }
}

function isSet(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  return v !== false && v !== 0 && v !== '' && v !== null && v !== undefined;
}
