// VPSie-form documents at the contract's limits: render + schema check (and validation, shown apart) of
// 64 rules × 10 domains × 16 backends, and of 1 rule with 10,000 backends. Target: render + check < 100 ms each.
import { defaultAgentConfig } from '../src/config/defaults.ts';
import { renderEnvoyConfig } from '../src/envoy/build/render.ts';
import { getSchemaChecker } from '../src/envoy/schema/index.ts';
import { validateDocument } from '../src/model/read.ts';
import type { LoadBalancerModel } from '../src/model/types.ts';
import { schemaProblems } from '../src/pipeline.ts';
import { specContextFromConfig } from '../src/spec/context.ts';

const config = defaultAgentConfig();
const ctx = specContextFromConfig(config, (p) => p);
const ip = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

function manyRules(rules: number, domains: number, backends: number): unknown {
  return {
    identifier: 'bench',
    lbName: 'bench',
    rules: Array.from({ length: rules }, (_, r) => ({
      ruleId: `r${r}`,
      scheme: r % 2 === 0 ? 'http' : 'https',
      frontPort: 10_000 + r,
      backPort: 8080,
      domains: Array.from({ length: domains }, (_, d) => ({
        domainId: `d${d}`,
        domainName: `h${d}.r${r}.example.com`,
        redirectHTTP: d === 0 ? 1 : 0,
        cookieCheck: d % 3 === 0 ? 1 : 0,
        cookieName: 'SID',
        backends: Array.from({ length: backends }, (_, b) => ({
          ip: `10.${r}.${d}.${b + 1}`,
          identifier: `vm${b}`,
        })),
      })),
    })),
  };
}

function oneRule(backends: number): unknown {
  return {
    identifier: 'bench',
    lbName: 'bench',
    rules: [
      {
        ruleId: 'tcp',
        scheme: 'tcp',
        frontPort: 5432,
        backPort: 5432,
        backends: Array.from({ length: backends }, (_, i) => ({ ip: ip(i + 1), identifier: `b${i}` })),
      },
    ],
  };
}

function renderAndCheck(model: LoadBalancerModel): number {
  const rendered = renderEnvoyConfig(model, config);
  // What a reconcile checks under the default (dynamic) strategy.
  const problems = schemaProblems(rendered, 'runtime');
  if (problems.length > 0) throw new Error(`schema problems: ${JSON.stringify(problems.slice(0, 3))}`);
  return rendered.routes.length + rendered.endpoints.length + rendered.secrets.length + 2;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

getSchemaChecker();
console.log(
  '| VPSie case | listeners | clusters | xDS files | validate ms | render + check ms | vs 100 ms |',
);
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const [name, doc] of [
  ['64 rules × 10 domains × 16 backends', manyRules(64, 10, 16)],
  ['1 rule × 10,000 backends', oneRule(10_000)],
] as const) {
  const validateTimes: number[] = [];
  const renderTimes: number[] = [];
  let model: LoadBalancerModel | undefined;
  let files = 0;
  for (let i = 0; i < 12; i++) {
    const t0 = performance.now();
    const r = validateDocument(doc, ctx);
    const t1 = performance.now();
    if (!r.ok) throw new Error(`bench document invalid: ${JSON.stringify(r.problems.slice(0, 3))}`);
    model = r.value;
    files = renderAndCheck(model);
    const t2 = performance.now();
    if (i >= 2) {
      validateTimes.push(t1 - t0);
      renderTimes.push(t2 - t1);
    }
  }
  const ms = median(renderTimes);
  console.log(
    `| ${name} | ${model?.listeners.length} | ${model?.pools.length} | ${files} | ${median(validateTimes).toFixed(1)} | ${ms.toFixed(1)} | ${(ms / 100).toFixed(2)}x |`,
  );
}
