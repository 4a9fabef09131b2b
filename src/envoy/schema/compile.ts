/**
 * Compiles Envoy's v3 API protos (as shipped by @grpc/grpc-js-xds) into the compact `SchemaData` table.
 * Slow (parses ~350 .proto files); run at build time by scripts/gen-envoy-schema.ts, or as the fallback
 * when no generated table is present.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import protobuf from 'protobufjs';
import {
  type EnumData,
  type FieldData,
  type JsonObject,
  type JsonValue,
  type MessageData,
  type OneofData,
  SCHEMA_FORMAT,
  type SchemaData,
} from './descriptor.ts';

/** protobufjs bundles these well-known types itself. */
const BUNDLED = new Set(
  ['any', 'duration', 'empty', 'struct', 'timestamp', 'wrappers', 'field_mask'].map(
    (n) => `google/protobuf/${n}.proto`,
  ),
);

export interface ProtoSources {
  /** Include roots: envoy-api, xds, googleapis, protoc-gen-validate, protobufjs (descriptor.proto). */
  readonly includeDirs: string[];
  readonly envoyApiDir: string;
  readonly fingerprint: string;
}

function packageRoot(entry: string, name: string): string {
  let dir = dirname(entry);
  for (let i = 0; i < 10; i++) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      const parsed: unknown = JSON.parse(readFileSync(pj, 'utf8'));
      if (typeof parsed === 'object' && parsed !== null && (parsed as { name?: unknown }).name === name)
        return dir;
    }
    dir = dirname(dir);
  }
  throw new Error(`cannot find the package root of ${name} from ${entry}`);
}

function packageVersion(root: string): string {
  const parsed: unknown = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const v =
    typeof parsed === 'object' && parsed !== null ? (parsed as { version?: unknown }).version : undefined;
  return typeof v === 'string' ? v : 'unknown';
}

/** Finds the proto trees in node_modules; cheap (no parsing), so the loader can use it to check staleness. */
export function locateProtoSources(): ProtoSources {
  const require = createRequire(import.meta.url);
  const xdsRoot = packageRoot(require.resolve('@grpc/grpc-js-xds'), '@grpc/grpc-js-xds');
  const pbRoot = packageRoot(require.resolve('protobufjs'), 'protobufjs');
  const deps = join(xdsRoot, 'deps');
  const includeDirs = ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => join(deps, d));
  includeDirs.push(pbRoot);
  const fingerprint = `grpc-js-xds@${packageVersion(xdsRoot)};protobufjs@${packageVersion(pbRoot)};format=${SCHEMA_FORMAT}`;
  return { includeDirs, envoyApiDir: join(deps, 'envoy-api'), fingerprint };
}

function listProtos(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) listProtos(p, out);
    else if (e.name.endsWith('.proto')) out.push(p);
  }
  return out;
}

/** protoc's json_name: drop underscores, upper-case the letter after each. */
export function jsonName(name: string): string {
  let out = '';
  let upper = false;
  for (const ch of name) {
    if (ch === '_') upper = true;
    else {
      out += upper ? ch.toUpperCase() : ch;
      upper = false;
    }
  }
  return out;
}

function toJson(v: unknown): JsonValue {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map(toJson);
  if (typeof v === 'object') {
    // protobufjs Long values for 64-bit options
    const o = v as Record<string, unknown>;
    if (typeof o.low === 'number' && typeof o.high === 'number' && typeof o.toString === 'function') {
      return String(o.toString());
    }
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(o)) out[k] = toJson(x);
    return out;
  }
  return null;
}

function mergeInto(target: JsonObject, src: JsonObject): void {
  for (const [k, v] of Object.entries(src)) {
    const cur = target[k];
    if (
      cur !== undefined &&
      typeof cur === 'object' &&
      cur !== null &&
      !Array.isArray(cur) &&
      typeof v === 'object' &&
      v !== null &&
      !Array.isArray(v)
    ) {
      mergeInto(cur, v);
    } else target[k] = v;
  }
}

/** Merges every `(validate.rules)` entry of a parsedOptions list into one FieldRules object. */
function pgvRules(parsed: unknown): JsonObject | undefined {
  if (!Array.isArray(parsed)) return undefined;
  let rules: JsonObject | undefined;
  for (const entry of parsed) {
    if (typeof entry !== 'object' || entry === null) continue;
    const r = (entry as Record<string, unknown>)['(validate.rules)'];
    if (r === undefined) continue;
    const j = toJson(r);
    if (typeof j !== 'object' || j === null || Array.isArray(j)) continue;
    rules ??= {};
    mergeInto(rules, j);
  }
  return rules;
}

type Opts = Record<string, unknown> | undefined;

function fieldData(f: protobuf.Field, oneofIndex: Map<protobuf.OneOf, number>): FieldData {
  const opts: Opts = f.options;
  const resolved = f.resolvedType;
  const kind =
    resolved instanceof protobuf.Type ? 'message' : resolved instanceof protobuf.Enum ? 'enum' : 'scalar';
  const type = resolved ? resolved.fullName.replace(/^\./, '') : f.type;
  const j = jsonName(f.name);
  const rules = pgvRules(f.parsedOptions);
  const oneof = f.partOf ? oneofIndex.get(f.partOf) : undefined;
  const data: {
    -readonly [K in keyof FieldData]: FieldData[K];
  } = { name: f.name, type, kind };
  if (j !== f.name) data.json = j;
  if (f instanceof protobuf.MapField) {
    data.label = 'map';
    data.keyType = f.keyType;
  } else if (f.repeated) data.label = 'repeated';
  if (oneof !== undefined) data.oneof = oneof;
  if (opts?.proto3_optional === true) data.optional = true;
  if (rules) data.rules = rules;
  if (opts?.deprecated === true) data.deprecated = true;
  if (opts?.['(envoy.annotations.disallowed_by_default)'] === true) data.disallowed = true;
  return data;
}

function messageData(t: protobuf.Type): MessageData {
  const oneofIndex = new Map<protobuf.OneOf, number>();
  const oneofs: OneofData[] = [];
  for (const o of t.oneofsArray) {
    // proto3 `optional` fields sit in synthetic oneofs; they are not real choices.
    const synthetic = o.fieldsArray.length === 1 && o.fieldsArray[0]?.options?.proto3_optional === true;
    if (synthetic) continue;
    oneofIndex.set(o, oneofs.length);
    const required = (o.options as Opts)?.['(validate.required)'] === true;
    oneofs.push(required ? { name: o.name, required } : { name: o.name });
  }
  const fields = t.fieldsArray.map((f) => fieldData(f, oneofIndex));
  const opts: Opts = t.options;
  const disabled = opts?.['(validate.disabled)'] === true || opts?.['(validate.ignored)'] === true;
  const md: { fields: FieldData[]; oneofs?: OneofData[]; pgvDisabled?: boolean } = { fields };
  if (oneofs.length > 0) md.oneofs = oneofs;
  if (disabled) md.pgvDisabled = true;
  return md;
}

function enumData(e: protobuf.Enum): EnumData {
  const disallowed: string[] = [];
  for (const [name, o] of Object.entries(e.valuesOptions ?? {})) {
    if ((o as Record<string, unknown>)['(envoy.annotations.disallowed_by_default_enum)'] === true) {
      disallowed.push(name);
    }
  }
  return disallowed.length > 0 ? { values: { ...e.values }, disallowed } : { values: { ...e.values } };
}

/** Parses every v3 proto of the Envoy API (plus what they import) and builds the table. */
export function compileSchema(sources: ProtoSources = locateProtoSources()): SchemaData {
  const locate = (rel: string): string | null => {
    if (BUNDLED.has(rel)) return rel;
    for (const dir of sources.includeDirs) {
      const p = join(dir, rel);
      if (existsSync(p)) return p;
    }
    return null;
  };
  // A file whose (transitive) imports are not shipped cannot be resolved; leave it out and say so.
  const loadable = new Map<string, boolean>();
  const canLoad = (rel: string, stack: Set<string>): boolean => {
    const known = loadable.get(rel);
    if (known !== undefined) return known;
    if (BUNDLED.has(rel) || stack.has(rel)) return true;
    const p = locate(rel);
    if (p === null) {
      loadable.set(rel, false);
      return false;
    }
    stack.add(rel);
    let good = true;
    for (const m of readFileSync(p, 'utf8').matchAll(/^import\s+(?:public\s+|weak\s+)?"([^"]+)";/gm)) {
      if (m[1] !== undefined && !canLoad(m[1], stack)) good = false;
    }
    stack.delete(rel);
    loadable.set(rel, good);
    return good;
  };
  const all = listProtos(join(sources.envoyApiDir, 'envoy'))
    .map((p) => relative(sources.envoyApiDir, p).split(sep).join('/'))
    .filter((rel) => /\/v3(alpha)?\//.test(rel))
    .sort();
  // xDS/UDPA types (TypedStruct, matchers, …) can be named by an Any without an Envoy proto importing them.
  const xdsDir = sources.includeDirs[1];
  const extra =
    xdsDir === undefined
      ? []
      : listProtos(xdsDir)
          .map((p) => relative(xdsDir, p).split(sep).join('/'))
          .filter((rel) => /^(xds|udpa)\/type\//.test(rel))
          .sort();
  const files = [...all, ...extra].filter((rel) => canLoad(rel, new Set()));
  const skippedFiles = [...all, ...extra].filter((rel) => !files.includes(rel));

  const root = new protobuf.Root();
  root.resolvePath = (_origin: string, target: string): string => locate(target) ?? target;
  root.loadSync(files, { keepCase: true });
  root.resolveAll();

  const messages: Record<string, MessageData> = {};
  const enums: Record<string, EnumData> = {};
  const previous: Record<string, string> = {};
  const visit = (ns: protobuf.NamespaceBase): void => {
    for (const child of ns.nestedArray) {
      const full = child.fullName.replace(/^\./, '');
      if (child instanceof protobuf.Type) {
        messages[full] = messageData(child);
        const prev = (child.options as Opts)?.['(udpa.annotations.versioning).previous_message_type'];
        if (typeof prev === 'string') previous[prev] = full;
      } else if (child instanceof protobuf.Enum) {
        enums[full] = enumData(child);
      }
      if (child instanceof protobuf.Namespace || child instanceof protobuf.Type) visit(child);
    }
  };
  visit(root);
  return { format: SCHEMA_FORMAT, fingerprint: sources.fingerprint, messages, enums, previous, skippedFiles };
}
