/**
 * Precompiles Envoy's v3 API protos into the compact schema table the checker loads at start
 * (src/envoy/schema/envoy-schema.generated.json, plus dist/… when a build exists). Run by `npm run prepare`.
 * Usage: node --import tsx scripts/gen-envoy-schema.ts [out.json …]
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileSchema } from '../src/envoy/schema/compile.ts';
import { GENERATED_FILE_NAME } from '../src/envoy/schema/load.ts';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const outs =
  args.length > 0
    ? args.map((a) => resolve(a))
    : [join(repo, 'src/envoy/schema', GENERATED_FILE_NAME)].concat(
        existsSync(join(repo, 'dist/envoy/schema'))
          ? [join(repo, 'dist/envoy/schema', GENERATED_FILE_NAME)]
          : [],
      );

const t0 = performance.now();
const data = compileSchema();
const json = JSON.stringify(data);
for (const out of outs) {
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  writeFileSync(tmp, json);
  renameSync(tmp, out);
}
const ms = Math.round(performance.now() - t0);
console.log(
  `envoy schema: ${Object.keys(data.messages).length} messages, ${Object.keys(data.enums).length} enums, ` +
    `${(json.length / 1024).toFixed(0)} KiB, ${ms} ms → ${outs.join(', ')}` +
    (data.skippedFiles.length > 0
      ? `\n  skipped (imports not shipped): ${data.skippedFiles.join(', ')}`
      : ''),
);
