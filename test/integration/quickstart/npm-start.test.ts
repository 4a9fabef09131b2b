// The README's first command as a newcomer sees it: `npm start` (scripts/start.mjs) on a copy of examples/ (free
// ports instead of 8080/9901/9902), real Envoy through the launcher. curl through Envoy alternates between the demo
// backends, editing the spec changes the answer, and Ctrl-C stops every process it started.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { freePort, REPO_ROOT, waitFor } from '../../helpers/cli-process.ts';
import { realEnvoyBinary } from '../../helpers/real-envoy.ts';

function get(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => {
        body += d.toString();
      });
      res.on('end', () => resolve(res.statusCode === 200 ? body.trim() : undefined));
    });
    req.on('error', () => resolve(undefined));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** Pids whose command line mentions `text` (the temp root: launcher, agent and Envoy all carry it). */
async function processesMentioning(text: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(text)) pids.push(Number(entry));
  }
  return pids;
}

describe('npm start (quick start on real Envoy)', () => {
  let root: string;
  let child: ChildProcess;
  let output = '';
  let lbPort: number;
  let specPath: string;
  let spec: { port: number; backends: { id: string; port: number }[] };

  before(async () => {
    realEnvoyBinary();
    root = await mkdtemp(join(tmpdir(), 'vpsie-lb-start-'));
    await mkdir(join(root, 'examples'));
    const config = parse(await readFile(join(REPO_ROOT, 'examples/agent.local.yaml'), 'utf8'));
    config.envoy.admin_port = await freePort();
    config.envoy.base_id = 30_000 + (process.pid % 10_000);
    config.server = { listen: `127.0.0.1:${await freePort()}` };
    await writeFile(join(root, 'examples/agent.local.yaml'), stringify(config));
    spec = JSON.parse(await readFile(join(REPO_ROOT, 'examples/spec.example.json'), 'utf8'));
    lbPort = await freePort();
    spec.port = lbPort;
    for (const b of spec.backends) b.port = await freePort();
    specPath = join(root, 'examples/spec.example.json');
    await writeFile(specPath, JSON.stringify(spec));
    child = spawn(process.execPath, [join(REPO_ROOT, 'scripts/start.mjs')], {
      cwd: REPO_ROOT,
      env: { ...process.env, VPSIE_LB_START_ROOT: root },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      output += d.toString();
    });
  });

  after(async () => {
    for (const pid of await processesMentioning(root)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
    await rm(root, { recursive: true, force: true });
  });

  it('serves the demo backends through Envoy, alternating between them', async () => {
    const seen = new Set<string>();
    await waitFor(`both backends through Envoy on ${lbPort}\n${output}`, 30_000, async () => {
      const body = await get(lbPort);
      if (body !== undefined) seen.add(body.replace(/ \(.*$/, ''));
      return seen.size === 2 ? true : undefined;
    });
    assert.deepEqual([...seen].sort(), ['hello from web-1', 'hello from web-2']);
    assert.match(output, /Envoy .*envoy; try: curl/);
  });

  it('picks up an edit of the spec: the dropped backend gets no more requests', async () => {
    await writeFile(specPath, JSON.stringify({ ...spec, backends: spec.backends.slice(0, 1) }));
    await waitFor(`only web-1 after the edit\n${output}`, 30_000, async () => {
      const bodies = await Promise.all(Array.from({ length: 6 }, () => get(lbPort)));
      return bodies.every((b) => b?.startsWith('hello from web-1')) ? true : undefined;
    });
  });

  it('Ctrl-C stops the agent, the launcher, Envoy and the backends', async () => {
    assert.ok((await processesMentioning(root)).length >= 3, 'launcher, agent and Envoy were running');
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    const code = await Promise.race([
      exited,
      new Promise<string>((resolve) => setTimeout(() => resolve('timeout'), 45_000).unref()),
    ]);
    assert.equal(code, 0, output);
    assert.deepEqual(await processesMentioning(root), []);
    assert.equal(await get(lbPort), undefined, 'nothing answers on the load balancer port');
    assert.equal(await get(spec.backends[0]?.port ?? 0), undefined, 'the demo backends are closed');
  });
});
