/**
 * Loads the schema table: the generated JSON next to this module when it is current, else compiles the
 * protos (slow path, ~2 s) so the checker still works in a tree where `npm run prepare` has not run.
 */
import { existsSync, readFileSync } from 'node:fs';
import { getAsset, isSea } from 'node:sea';
import { fileURLToPath } from 'node:url';
import { compileSchema, locateProtoSources } from './compile.ts';
import { SCHEMA_FORMAT, type SchemaData } from './descriptor.ts';

export const GENERATED_FILE_NAME = 'envoy-schema.generated.json';

export interface LoadedSchema {
  readonly data: SchemaData;
  readonly source: 'generated' | 'protos';
  /** Wall time spent loading, for logs and the report. */
  readonly ms: number;
  /** Why the generated file was not used, when it was not. */
  readonly fallbackReason?: string;
}

/** Where the generated table lives: next to this module (src/… under tsx, dist/… when built). */
export const generatedSchemaPath = (): string =>
  fileURLToPath(new URL(`./${GENERATED_FILE_NAME}`, import.meta.url));

function isSchemaData(v: unknown): v is SchemaData {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o.format === 'number' && typeof o.fingerprint === 'string' && typeof o.messages === 'object';
}

export function loadSchema(file: string = generatedSchemaPath()): LoadedSchema {
  const t0 = performance.now();
  // The single executable carries the table as an asset: there are no .proto files (or node_modules) on a VM.
  if (isSea()) {
    const parsed: unknown = JSON.parse(getAsset(GENERATED_FILE_NAME, 'utf8'));
    if (!isSchemaData(parsed) || parsed.format !== SCHEMA_FORMAT)
      throw new Error('embedded Envoy schema table is invalid');
    return { data: parsed, source: 'generated', ms: performance.now() - t0 };
  }
  const sources = locateProtoSources();
  let reason = `${file} is missing`;
  if (existsSync(file)) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
      if (!isSchemaData(parsed)) reason = `${file} is not a schema table`;
      else if (parsed.format !== SCHEMA_FORMAT || parsed.fingerprint !== sources.fingerprint) {
        reason = `${file} is stale (${parsed.fingerprint}, want ${sources.fingerprint})`;
      } else return { data: parsed, source: 'generated', ms: performance.now() - t0 };
    } catch (err) {
      reason = `${file} is unreadable: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  const data = compileSchema(sources);
  return { data, source: 'protos', ms: performance.now() - t0, fallbackReason: reason };
}
