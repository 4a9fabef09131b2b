/**
 * Build step: precompiles the protos into the schema table the checker loads at start.
 * `node dist/envoy/schema/generate.js [out.json …]` (default: next to this module, where load.ts looks).
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../../util/atomic.ts';
import { compileSchema } from './compile.ts';
import { generatedSchemaPath } from './load.ts';

export interface GenerateReport {
  readonly files: string[];
  readonly messages: number;
  readonly enums: number;
  readonly bytes: number;
  readonly ms: number;
  readonly skippedFiles: string[];
}

export async function writeSchemaFiles(outs: string[] = [generatedSchemaPath()]): Promise<GenerateReport> {
  const t0 = performance.now();
  const data = compileSchema();
  const json = JSON.stringify(data);
  for (const out of outs) await writeFileAtomic(out, json);
  return {
    files: outs,
    messages: Object.keys(data.messages).length,
    enums: Object.keys(data.enums).length,
    bytes: Buffer.byteLength(json),
    ms: Math.round(performance.now() - t0),
    skippedFiles: data.skippedFiles,
  };
}

export function describeReport(r: GenerateReport): string {
  const skipped =
    r.skippedFiles.length > 0 ? `\n  skipped (imports not shipped): ${r.skippedFiles.join(', ')}` : '';
  return `envoy schema: ${r.messages} messages, ${r.enums} enums, ${Math.round(r.bytes / 1024)} KiB in ${r.ms} ms → ${r.files.join(', ')}${skipped}`;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2).map((a) => resolve(a));
  console.log(describeReport(await writeSchemaFiles(args.length > 0 ? args : undefined)));
}
