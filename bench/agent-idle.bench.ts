// d. The agent's RSS and CPU from outside (/proc), as an operator would see them: the built CLI (`npm run build`)
// runs with a file source and the pinned Envoy, converges, then idles for BENCH_IDLE_S (60 s) with 1 and with
// 10,000 backends; then a burst of 100 spec changes. Envoy's own CPU is not counted. No assertions.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { realEnvoyBinary } from '../test/helpers/real-envoy.ts';
import { freePort } from '../test/integration/lifecycle/harness.ts';

const REPO = resolve(import.meta.dirname, '..');
const IDLE_S = Number(process.env.BENCH_IDLE_S ?? '60');
const TICKS = Number(spawnSync('getconf', ['CLK_TCK']).stdout.toString().trim() || '100');

const spec = (port: number, n: number, bump = 0) => ({
  id: 'bench-idle',
  name: 'bench',
  protocol: 'http',
  port,
  algorithm: 'round_robin',
  backends: Array.from({ length: n }, (_, i) => ({
    id: `b${i}`,
    address: `127.${1 + ((i >> 16) & 255)}.${(i >> 8) & 255}.${1 + (i & 127)}`,
    port: 2000 + (i % 1000),
    weight: 1 + ((i + bump) % 7), // the 100th change differs from the start (100 % 7 = 2)
  })),
});

/** utime+stime in seconds and VmRSS in MB of a pid. */
function sample(pid: number): { cpuS: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuS = (Number(fields[11]) + Number(fields[12])) / TICKS;
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuS, rssMb: Number(rss?.[1] ?? 0) / 1024 };
}

async function waitFor(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(100);
  }
}

async function run(n: number): Promise<string[][]> {
  const root = await mkdtemp(join(tmpdir(), 'vpsie-bench-idle-'));
  const port = await freePort();
  const adminPort = await freePort();
  const specFile = join(root, 'spec.json');
  await writeFile(specFile, JSON.stringify(spec(port, n)));
  const config = join(root, 'agent.yaml');
  await writeFile(
    config,
    [
      `source: {type: file, path: ${specFile}}`,
      `state_dir: ${join(root, 'state')}`,
      `tls: {cert_dir: ${join(root, 'certs')}}`,
      'address_policy: {allow_cidrs: [127.0.0.0/8]}',
      ...(process.env.BENCH_AGENT_YAML === undefined ? [] : [process.env.BENCH_AGENT_YAML]),
      'logging: {level: info, format: json}',
      `server: {listen: 127.0.0.1:${await freePort()}}`,
      'envoy:',
      `  binary_path: ${realEnvoyBinary()}`,
      `  config_path: ${join(root, 'envoy', 'dynamic')}`,
      `  pid_file: ${join(root, 'envoy.pid')}`,
      `  admin_address: 127.0.0.1:${adminPort}`,
      `  base_id: ${40_000 + (process.pid % 1000) * 2 + (n > 1 ? 1 : 0)}`,
      `  launcher_socket: ${join(root, 'no-launcher.sock')}`,
      '  stop_on_exit: true',
      '  verify_timeout: 120s',
      '',
    ].join('\n'),
  );
  let log = '';
  const child: ChildProcess = spawn(
    process.execPath,
    [join(REPO, 'dist/cli.js'), 'run', '--config', config],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout?.on('data', (c: Buffer) => {
    log += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    log += c.toString();
  });
  const applied = () => (log.match(/configuration applied/g) ?? []).length;
  const rows: string[][] = [];
  try {
    const pid = child.pid ?? -1;
    await waitFor('the first configuration applied', () => applied() >= 1, 180_000);
    await sleep(3000); // settle: first health/metrics rounds, GC after the apply
    const a = sample(pid);
    await sleep(IDLE_S * 1000);
    const b = sample(pid);
    const idleCpu = ((b.cpuS - a.cpuS) / IDLE_S) * 100;
    const target = n === 1 ? { cpu: 0.5, rss: 60 } : { cpu: 1, rss: Number.NaN };
    rows.push([
      `${n} idle ${IDLE_S}s`,
      b.rssMb.toFixed(0),
      idleCpu.toFixed(2),
      `${(idleCpu / target.cpu).toFixed(2)}×${Number.isNaN(target.rss) ? '' : ` / ${(b.rssMb / target.rss).toFixed(2)}×`}`,
    ]);

    // A burst of 100 spec changes, 20 ms apart: the file watch coalesces them (1 s quiet, 10 s at most).
    const before = sample(pid);
    const started = Date.now();
    const base = applied();
    let peak = before.rssMb;
    for (let i = 1; i <= 100; i++) {
      await writeFile(specFile, JSON.stringify(spec(port, n, i)));
      peak = Math.max(peak, sample(pid).rssMb);
      await sleep(20);
    }
    await waitFor('the burst applied', () => applied() > base, 180_000);
    // Settled once no transaction followed for 3 s.
    for (let seen = -1; seen !== applied(); ) {
      seen = applied();
      for (let t = 0; t < 30; t++) {
        peak = Math.max(peak, sample(pid).rssMb);
        await sleep(100);
      }
    }
    const after = sample(pid);
    const burstS = (Date.now() - started - 3000) / 1000;
    rows.push([
      `${n} burst of 100`,
      `${after.rssMb.toFixed(0)} (peak ${peak.toFixed(0)})`,
      (((after.cpuS - before.cpuS) / burstS) * 100).toFixed(1),
      `${applied() - base} transactions in ${burstS.toFixed(1)} s`,
    ]);
  } catch (err) {
    throw new Error(`${String(err)}; agent log tail: ${log.slice(-1500)}`);
  } finally {
    child.kill('SIGTERM');
    await Promise.race([new Promise((r) => child.once('exit', r)), sleep(20_000)]);
    await rm(root, { recursive: true, force: true });
  }
  return rows;
}

const build = spawnSync('npm', ['run', 'build'], { cwd: REPO, stdio: 'ignore' });
if (build.status !== 0) throw new Error('npm run build failed: the idle bench measures dist/cli.js');
const sizes = (process.env.BENCH_IDLE_SIZES ?? '1,10000').split(',').map(Number);
const rows: string[][] = [];
for (const n of sizes) rows.push(...(await run(n)));
const head = ['backends', 'RSS MB', 'CPU %', 'vs target (1: 0.5 %, 60 MB; 10k: 1 %)'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
console.log(`\nd. agent (dist/cli.js) from /proc; Envoy not counted; shared machine: noisy`);
console.log(head.map((h, i) => h.padStart(widths[i] ?? 8)).join('  '));
for (const r of rows) console.log(r.map((c, i) => c.padStart(widths[i] ?? 8)).join('  '));
