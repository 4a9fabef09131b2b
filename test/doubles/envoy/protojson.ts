/**
 * Configuration as Envoy prints it in /config_dump: proto3 JSON of the parsed message, not the file as written.
 * Fields at their default (0, "", false, the first enum value) are left out unless they have presence (oneof
 * members, `optional`, wrapper messages), enums given as numbers print as names, 64-bit integers as strings, and
 * empty lists and maps vanish. Types come from the schema table the checker uses.
 */
import type { FieldData, MessageData, SchemaData } from '../../../src/envoy/schema/descriptor.ts';
import { loadSchema } from '../../../src/envoy/schema/load.ts';
import { isRecord, type Json } from './bootstrap.ts';

let schema: SchemaData | undefined;
const data = (): SchemaData => {
  schema ??= loadSchema().data;
  return schema;
};

const INT64 = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const INT64_WRAPPERS = new Set(['google.protobuf.Int64Value', 'google.protobuf.UInt64Value']);
/** Well-known types printed as they are (their JSON form is special). */
const OPAQUE = new Set(['google.protobuf.Struct', 'google.protobuf.Value', 'google.protobuf.ListValue']);

/** `v` (a message of type `typeName`) in Envoy's dump form; unknown types and fields pass through unchanged. */
export function asDumped(typeName: string, v: unknown): unknown {
  const msg = data().messages[typeName];
  if (typeName === 'google.protobuf.Any') return anyValue(v);
  if (msg === undefined || OPAQUE.has(typeName) || !isRecord(v)) return v;
  if (INT64_WRAPPERS.has(typeName)) return typeof v === 'number' ? String(v) : v;
  return messageValue(msg, v);
}

function anyValue(v: unknown): unknown {
  if (!isRecord(v) || typeof v['@type'] !== 'string') return v;
  const { '@type': url, ...rest } = v;
  const inner = asDumped(url.slice(url.lastIndexOf('/') + 1), rest);
  return { '@type': url, ...(isRecord(inner) ? inner : {}) };
}

function messageValue(msg: MessageData, v: Json): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(v)) {
    const field = msg.fields.find((f) => f.name === key || f.json === key);
    if (field === undefined) {
      out[key] = value;
      continue;
    }
    const dumped = fieldValue(field, value);
    if (dumped !== undefined) out[field.name] = dumped;
  }
  return out;
}

function fieldValue(f: FieldData, v: unknown): unknown {
  if (f.label === 'repeated') {
    if (!Array.isArray(v)) return v;
    return v.length === 0 ? undefined : v.map((x) => single(f, x));
  }
  if (f.label === 'map') {
    if (!isRecord(v)) return v;
    const entries = Object.entries(v).map(([k, x]) => [k, single(f, x)]);
    return entries.length === 0 ? undefined : Object.fromEntries(entries);
  }
  const hasPresence = f.oneof !== undefined || f.optional === true || f.kind === 'message';
  const value = single(f, v);
  return !hasPresence && isDefault(f, value) ? undefined : value;
}

function single(f: FieldData, v: unknown): unknown {
  if (f.kind === 'message') return asDumped(f.type, v);
  if (f.kind === 'enum') {
    const values = data().enums[f.type]?.values ?? {};
    if (typeof v === 'number') return Object.entries(values).find(([, n]) => n === v)?.[0] ?? v;
    return v;
  }
  return INT64.has(f.type) && typeof v === 'number' ? String(v) : v;
}

function isDefault(f: FieldData, v: unknown): boolean {
  if (f.kind === 'enum') return data().enums[f.type]?.values[String(v)] === 0 || v === 0;
  return v === 0 || v === '0' || v === '' || v === false;
}
