// Renders and schema-checks specs of growing size; prints time and heap per size and how cost scales.
// Target (issue #2): 10,000 backends validated, rendered and checked in under 100 ms on one core, linear in size.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defaultAgentConfig } from '../src/config/defaults.ts';
import { renderEnvoyConfig } from '../src/envoy/build/render.ts';
import { getSchemaChecker } from '../src/envoy/schema/index.ts';
import { schemaProblems } from '../src/pipeline.ts';
import { specContextFromConfig } from '../src/spec/context.ts';
import { validateDocument } from '../src/model/read.ts';

const SIZES = [1, 100, 1_000, 10_000];
const config = defaultAgentConfig();
const ctx = specContextFromConfig(config, (p) => p);

function specWith(n: number): unknown {
  const backends = Array.from({ length: n }, (_, i) => ({
    id: `b${i}`,
    address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    port: 8000 + (i % 1000),
    weight: 1 + (i % 10),
  }));
  return {
    id: 'bench',
    name: 'bench',
    protocol: 'http',
    port: 80,
    algorithm: 'least_request',
    backends,
    health_check: {
      type: 'http',
      interval: 5,
      timeout: 2,
      unhealthy_threshold: 3,
      healthy_threshold: 2,
      path: '/healthz',
    },
  };
}

function once(doc: unknown): void {
  const result = validateDocument(doc, ctx);
  if (!result.ok) throw new Error(`bench spec invalid: ${JSON.stringify(result.problems.slice(0, 3))}`);
  const rendered = renderEnvoyConfig(result.value, config);
  // What a reconcile checks under the default (dynamic) strategy.
  const problems = schemaProblems(rendered, 'runtime');
  if (problems.length > 0) throw new Error(`schema problems: ${JSON.stringify(problems.slice(0, 3))}`);
}

const loadStart = performance.now();
getSchemaChecker();
const loadMs = performance.now() - loadStart;

interface Row {
  backends: number;
  medianMs: number;
  minMs: number;
  heapMiB: number;
}
const rows: Row[] = [];
for (const n of SIZES) {
  const doc = specWith(n);
  const runs = n >= 10_000 ? 15 : n >= 1_000 ? 40 : 100;
  for (let i = 0; i < Math.min(5, runs); i++) once(doc); // warm-up
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  let peak = heapBefore;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    once(doc);
    times.push(performance.now() - t0);
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }
  times.sort((a, b) => a - b);
  rows.push({
    backends: n,
    medianMs: times[Math.floor(times.length / 2)]!,
    minMs: times[0]!,
    heapMiB: (peak - heapBefore) / 1048576,
  });
}

console.log(`schema load (once per process): ${loadMs.toFixed(0)} ms`);
console.log('| backends | median ms | min ms | heap growth MiB | ms per 1k backends |');
console.log('|---:|---:|---:|---:|---:|');
for (const r of rows) {
  const per1k = (r.medianMs / Math.max(r.backends, 1)) * 1000;
  console.log(
    `| ${r.backends} | ${r.medianMs.toFixed(2)} | ${r.minMs.toFixed(2)} | ${r.heapMiB.toFixed(1)} | ${r.backends >= 100 ? per1k.toFixed(2) : '-'} |`,
  );
}
const big = rows.find((r) => r.backends === 10_000)!;
const mid = rows.find((r) => r.backends === 1_000)!;
console.log(`ratio 10,000 / 1,000 backends: ${(big.medianMs / mid.medianMs).toFixed(1)}x (10x = linear)`);
console.log(`10,000 backends vs 100 ms target: ${(big.medianMs / 100).toFixed(2)}x of budget`);
console.log(
  `10,000 backends vs the Go predecessor's ~150 ms (render only, no checks): ${(150 / big.medianMs).toFixed(1)}x faster`,
);

// The CLI is used in scripts: `validate` of a small spec as a whole process (target: well under 0.5 s).
const cli = new URL('../dist/cli.js', import.meta.url);
const example = new URL('../examples/spec.example.json', import.meta.url);
// Its demo backends are on loopback, which only examples/agent.local.yaml's allow_cidrs lets in.
const exampleConfig = new URL('../examples/agent.local.yaml', import.meta.url);
if (existsSync(cli)) {
  const runs: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [
      fileURLToPath(cli),
      'validate',
      '--spec',
      fileURLToPath(example),
      '--config',
      fileURLToPath(exampleConfig),
    ]);
    if (r.status !== 0) throw new Error(`validate failed: ${r.stderr}`);
    runs.push(performance.now() - t0);
  }
  runs.sort((a, b) => a - b);
  const median = runs[3]!;
  console.log(
    `CLI validate (whole process, dist/): median ${median.toFixed(0)} ms = ${(median / 500).toFixed(2)}x of 0.5 s`,
  );
} else {
  console.log('CLI validate: dist/cli.js missing (run npm run build)');
}
