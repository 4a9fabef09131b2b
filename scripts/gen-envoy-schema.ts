/**
 * Precompiles Envoy's v3 API protos into the schema table (src/envoy/schema/envoy-schema.generated.json,
 * plus dist/… when a build exists). Usage: node --import tsx scripts/gen-envoy-schema.ts [out.json …]
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeReport, writeSchemaFiles } from '../src/envoy/schema/generate.ts';
import { GENERATED_FILE_NAME } from '../src/envoy/schema/load.ts';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2).map((a) => resolve(a));
const outs =
  args.length > 0
    ? args
    : [join(repo, 'src/envoy/schema', GENERATED_FILE_NAME)].concat(
        existsSync(join(repo, 'dist/envoy/schema'))
          ? [join(repo, 'dist/envoy/schema', GENERATED_FILE_NAME)]
          : [],
      );
console.log(describeReport(await writeSchemaFiles(outs)));
