// Benchmarks on the pinned Envoy binary (no assertions; medians, minima and ratios to the targets):
//  a. spec change → Envoy serving it (version acknowledged), 1 … 10,000 backends, agent time split from Envoy time
//  b. hot restart: new epoch started → LIVE, and LIVE → old epoch exited
//  c. requests/s and p99 through Envoy vs directly to the loopback backend
// The agent's idle RSS/CPU (d) is in bench/agent-idle.bench.ts. The machine is shared: read min and median.
import { randomUUID } from 'node:crypto';
import { Agent as HttpAgent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseWith } from '../src/agent.ts';
import { pidAlive } from '../src/envoy/process/host.ts';
import { prepareGeneration } from '../src/pipeline.ts';
import { httpBackend } from '../test/integration/real-envoy-load/backends.ts';
import { cleanupEnv, lbSpec, realEnv, serving } from '../test/integration/real-envoy-load/harness.ts';

const SIZES = (process.env.BENCH_SIZES ?? '1,100,1000,10000').split(',').map(Number);
const REPEAT = Number(process.env.BENCH_REPEAT ?? '5');
const HOLDOFF_MS = 1000; // ReconcileLoop.triggerSoon quiet time for spec file changes (src/reconcile/loop.ts)

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : (s[Math.floor((s.length - 1) / 2)] ?? Number.NaN);
};
const min = (xs: number[]): number => Math.min(...xs);
const f = (ms: number): string => (Number.isFinite(ms) ? ms.toFixed(ms < 10 ? 1 : 0) : '-');
const pad = (cells: string[], widths: number[]) => cells.map((c, i) => c.padStart(widths[i] ?? 8)).join('  ');

function table(title: string, head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  console.log(`\n${title}\n${pad(head, widths)}`);
  for (const r of rows) console.log(pad(r, widths));
}

const specN = (port: number, n: number, bump: number) => ({
  ...lbSpec({ port } as Parameters<typeof lbSpec>[0], [], (s) => {
    delete s.health_check; // 10,000 health-checked hosts that do not exist would measure the checker, not a change
    s.backends = Array.from({ length: n }, (_, i) => ({
      id: `b${i}`,
      address: `127.${1 + ((i >> 16) & 255)}.${(i >> 8) & 255}.${1 + (i & 127)}`,
      port: 2000 + (i % 1000), // clear of the admin (ephemeral) and agent (99xx) ports
      weight: 1 + ((i + bump) % 10),
    }));
  }),
});

async function changeToServing(): Promise<string[][]> {
  const env = await realEnv({ drainTimeMs: 1000, parentShutdownTimeMs: 2000, verifyTimeoutMs: 120_000 });
  const marks = new Map<string, number>();
  const agent = await env.make({ hook: (step) => marks.set(step, performance.now()) });
  const parse = parseWith(env.config);
  const rows: string[][] = [];
  try {
    let bump = 0;
    for (const n of SIZES) {
      const times = {
        render: [] as number[],
        check: [] as number[],
        write: [] as number[],
        envoy: [] as number[],
      };
      for (let r = -1; r < REPEAT; r++) {
        bump++;
        const t0 = performance.now();
        const parsed = parse(JSON.stringify(specN(env.port, n, bump)));
        if (!parsed.ok) throw new Error(`bench spec invalid: ${JSON.stringify(parsed.problems.slice(0, 2))}`);
        const prepared = await prepareGeneration(parsed.spec, env.config, new Date());
        if (!prepared.ok) throw new Error('bench spec not renderable');
        const t1 = performance.now();
        marks.clear();
        const outcome = await agent.applier.apply(prepared.generation, randomUUID());
        if (!outcome.ok) throw new Error(`apply failed at ${outcome.stage}: ${outcome.error}`);
        if (r < 0) continue; // the first apply of a size (or Envoy's first start) is not a change
        const backedUp = marks.get('after-backup') ?? t1;
        const installed = marks.get('after-install') ?? backedUp;
        const live = marks.get('after-live-before-commit') ?? installed;
        times.render.push(t1 - t0);
        times.check.push(backedUp - t1);
        times.write.push(installed - backedUp);
        times.envoy.push(live - installed);
      }
      const agentMs = median(times.render) + median(times.check) + median(times.write);
      const e2e = agentMs + median(times.envoy);
      rows.push([
        String(n),
        `${f(median(times.render))} / ${f(min(times.render))}`,
        `${f(median(times.check))} / ${f(min(times.check))}`,
        `${f(median(times.write))} / ${f(min(times.write))}`,
        `${f(median(times.envoy))} / ${f(min(times.envoy))}`,
        f(agentMs),
        f(e2e),
        n === 10_000 ? `${(agentMs / 100).toFixed(2)}× / ${(e2e / 500).toFixed(2)}×` : '',
      ]);
    }
  } finally {
    await cleanupEnv(env, [agent]);
  }
  return rows;
}

async function hotRestarts(): Promise<string[][]> {
  const env = await realEnv({ drainTimeMs: 1000, parentShutdownTimeMs: 2000 });
  const backend = await httpBackend('hr');
  const marks = new Map<string, number>();
  const agent = await env.make({ hook: (step) => marks.set(step, performance.now()) });
  const toLive: number[] = [];
  const toOldExit: number[] = [];
  try {
    await env.writeSpec(lbSpec(env, [backend]));
    await agent.reconciler.reconcile('start');
    await serving(env);
    for (let i = 0; i < Math.max(3, Math.ceil(REPEAT / 2)); i++) {
      const oldPid = agent.applier.envoyStatus().pid ?? -1;
      env.bootstrap.maxConnections += 1;
      marks.clear();
      const r = await agent.reconciler.reconcile('bootstrap');
      if (r.result !== 'applied') throw new Error(`hot restart failed: ${r.error}`);
      const spawned = marks.get('after-spawn-before-live') ?? Number.NaN;
      const live = marks.get('after-live-before-commit') ?? Number.NaN;
      toLive.push(live - spawned);
      while (pidAlive(oldPid) && performance.now() - live < 30_000) await sleep(20);
      toOldExit.push(performance.now() - live);
    }
  } finally {
    await cleanupEnv(env, [agent]);
    await backend.close();
  }
  return [
    [
      `${f(median(toLive))} / ${f(min(toLive))}`,
      `${f(median(toOldExit))} / ${f(min(toOldExit))}`,
      '1 s / 2 s',
    ],
  ];
}

/** Keep-alive clients for `ms`: requests/s and latency percentiles. */
async function drive(
  port: number,
  ms: number,
  connections = 8,
): Promise<{ rps: number; p50: number; p99: number }> {
  const lat: number[] = [];
  const end = performance.now() + ms;
  const worker = async () => {
    const agent = new HttpAgent({ keepAlive: true, maxSockets: 1 });
    while (performance.now() < end) {
      const t = performance.now();
      await new Promise<void>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
          res.resume();
          res.on('end', () => resolve());
        });
        req.on('error', reject);
        req.end();
      });
      lat.push(performance.now() - t);
    }
    agent.destroy();
  };
  await Promise.all(Array.from({ length: connections }, worker));
  const s = lat.sort((a, b) => a - b);
  return {
    rps: (s.length / ms) * 1000,
    p50: s[Math.floor(s.length * 0.5)] ?? 0,
    p99: s[Math.floor(s.length * 0.99)] ?? 0,
  };
}

async function proxyOverhead(): Promise<string[][]> {
  const env = await realEnv();
  const backend = await httpBackend('direct');
  const agent = await env.make();
  const runs = {
    direct: [] as { rps: number; p99: number; p50: number }[],
    envoy: [] as { rps: number; p99: number; p50: number }[],
  };
  try {
    await env.writeSpec(lbSpec(env, [backend], (s) => void delete s.health_check));
    await agent.reconciler.reconcile('start');
    await serving(env);
    await drive(env.port, 1000); // warm-up
    for (let i = 0; i < 3; i++) {
      runs.direct.push(await drive(backend.port, 4000));
      runs.envoy.push(await drive(env.port, 4000));
    }
  } finally {
    await cleanupEnv(env, [agent]);
    await backend.close();
  }
  const row = (name: string, xs: { rps: number; p99: number; p50: number }[]) => [
    name,
    `${median(xs.map((x) => x.rps)).toFixed(0)} / ${Math.max(...xs.map((x) => x.rps)).toFixed(0)}`,
    `${f(median(xs.map((x) => x.p50)))}`,
    `${f(median(xs.map((x) => x.p99)))} / ${f(min(xs.map((x) => x.p99)))}`,
  ];
  const ratio = (a: number[], b: number[]) => (median(a) / median(b)).toFixed(2);
  return [
    row('direct', runs.direct),
    row('through Envoy', runs.envoy),
    [
      'Envoy / direct',
      `${ratio(
        runs.envoy.map((x) => x.rps),
        runs.direct.map((x) => x.rps),
      )}×`,
      `${ratio(
        runs.envoy.map((x) => x.p50),
        runs.direct.map((x) => x.p50),
      )}×`,
      `${ratio(
        runs.envoy.map((x) => x.p99),
        runs.direct.map((x) => x.p99),
      )}×`,
    ],
  ];
}

console.log(
  `Real Envoy benchmarks (shared, loaded machine: noisy; cells are median / min over ${REPEAT} runs)`,
);
table(
  `a. spec change → Envoy serving it (ms). Coalescing holdoff for spec file changes: ${HOLDOFF_MS} ms quiet (10 s at most), not counted`,
  [
    'backends',
    'render+schema',
    'validate (not for endpoints only) + backup',
    'write',
    'Envoy ack',
    'agent',
    'e2e',
    'vs 100 / 500 ms',
  ],
  await changeToServing(),
);
table(
  'b. hot restart (ms), drain_time / parent_shutdown_time as set',
  ['started → LIVE', 'LIVE → old epoch exited', 'drain / shutdown'],
  await hotRestarts(),
);
table(
  'c. 8 keep-alive clients, 4 s per run (Node client on the same 2 cores: it is part of the cost)',
  ['target', 'req/s median / max', 'p50 ms', 'p99 ms median / min'],
  await proxyOverhead(),
);
