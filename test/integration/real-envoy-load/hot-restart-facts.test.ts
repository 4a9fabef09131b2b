// Hot-restart facts measured on the pinned binary; the launcher and the supervisor are designed on them:
// Envoy dies with the process that spawned it; a third epoch kills the first at once; a colliding base id fails
// fast and harms nobody; `--hot-restart-version` is what admin reports; epochs continue across agent restarts.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { LocalProcessHost, pidAlive } from '../../../src/envoy/process/host.ts';
import { LauncherClient, LauncherServer } from '../../../src/envoy/process/launcher.ts';
import { binaryHotRestartVersion } from '../../../src/envoy/process/processes.ts';
import { realEnvoyBinary } from '../../helpers/real-envoy.ts';
import { type Backend, httpBackend } from './backends.ts';
import { eventually } from './harness.ts';
import {
  epochArgs,
  killAll,
  type RawEpoch,
  rawBaseId,
  rawBootstrap,
  rawLive,
  startRaw,
} from './raw-envoy.ts';
import { streamGet } from './streams.ts';

const REPO = resolve(import.meta.dirname, '../../..');
const epochs: RawEpoch[] = [];
const backends: Backend[] = [];
const children: ChildProcess[] = [];
let dir = '';
after(async () => {
  killAll(epochs);
  for (const c of children) {
    try {
      if (c.pid !== undefined) process.kill(-c.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  for (const b of backends) await b.close();
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

async function setup(name: string) {
  if (dir === '') dir = await mkdtemp(join(tmpdir(), 'vpsie-hr-facts-'));
  const backend = await httpBackend(name);
  backends.push(backend);
  return { backend, s: await rawBootstrap(dir, backend.port, 'http', name) };
}

function raw(label: string, args: string[]): RawEpoch {
  const e = startRaw(dir, label, args);
  epochs.push(e);
  return e;
}

const gone = (pid: number, what: string, timeoutMs = 20_000) =>
  eventually(what, () => (pidAlive(pid) ? undefined : true), timeoutMs);

/** A node process (the "agent") that spawns Envoy through `host` code and prints its pid; killed by the test. */
function spawner(script: string): { child: ChildProcess; pid: Promise<number> } {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  children.push(child);
  const pid = new Promise<number>((resolvePid, reject) => {
    let out = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (c: string) => {
      out += c;
      const m = /pid=(\d+)/.exec(out);
      if (m !== null) resolvePid(Number(m[1]));
    });
    child.once('exit', () => reject(new Error(`spawner exited before printing a pid: ${out}`)));
  });
  return { child, pid };
}

describe('hot-restart facts on the real Envoy binary', () => {
  it('Envoy with hot restart gets SIGTERM when the process that spawned it dies (PR_SET_PDEATHSIG); under the launcher it outlives the agent', async () => {
    const { s } = await setup('pdeath');
    const args = [realEnvoyBinary(), '--concurrency', '1', ...epochArgs(s, rawBaseId(), 0, 1, 2)];
    const logDir = join(dir, 'pdeath-logs');
    const direct = spawner(
      `import { LocalProcessHost } from './src/envoy/process/host.ts';
       const host = new LocalProcessHost({ logDir: ${JSON.stringify(logDir)} });
       const { pid } = await host.spawn({ args: ${JSON.stringify(args)} });
       console.log('pid=' + pid); setInterval(() => {}, 1000);`,
    );
    const envoyPid = await direct.pid;
    await rawLive(s, 0);
    process.kill(-(direct.child.pid ?? 0), 'SIGKILL'); // the agent dies hard: no handler of ours runs
    await gone(envoyPid, 'Envoy exits once its spawner is gone');
    const [logName] = await readdir(logDir);
    assert.match(await readFile(join(logDir, logName ?? ''), 'utf8'), /caught ENVOY_SIGTERM/);

    // The same through the launcher service: the agent (the client process) dies, Envoy keeps serving.
    const socket = join(dir, 'launcher.sock');
    const launcherHost = new LocalProcessHost({ logDir: join(dir, 'launcher-logs') });
    const launcher = new LauncherServer(launcherHost);
    await launcher.listen(socket);
    try {
      const viaLauncher = spawner(
        `import { LauncherClient } from './src/envoy/process/launcher.ts';
         const host = new LauncherClient(${JSON.stringify(socket)});
         const { pid } = await host.spawn({ args: ${JSON.stringify(args)} });
         console.log('pid=' + pid); setInterval(() => {}, 1000);`,
      );
      const pid = await viaLauncher.pid;
      await rawLive(s, 0);
      process.kill(-(viaLauncher.child.pid ?? 0), 'SIGKILL');
      // PDEATHSIG acts at once (above: gone within the first polls); give it ample time to act here too.
      await sleep(2000);
      assert.ok(pidAlive(pid), 'Envoy under the launcher survives the agent');
      assert.equal((await s.admin.ready()).live, true);
      await new LauncherClient(socket).signal(pid, 'SIGKILL');
      await gone(pid, 'Envoy stopped');
    } finally {
      await launcher.close();
    }
  });

  it('a third epoch started while the first still drains makes the second terminate the first at once: its open response is cut', async () => {
    const { s } = await setup('third');
    const id = rawBaseId();
    const e0 = raw('third-0', epochArgs(s, id, 0, 2, 60));
    await rawLive(s, 0);
    const stream = streamGet(s.port, 100, 100); // 10 s of response through epoch 0
    await stream.started;
    raw('third-1', epochArgs(s, id, 1, 2, 60));
    await rawLive(s, 1);
    const beforeThird = stream.chunks();
    raw('third-2', epochArgs(s, id, 2, 2, 60));
    await rawLive(s, 2);
    const exit = await Promise.race([e0.exited, sleep(20_000).then(() => undefined)]);
    assert.ok(exit !== undefined, 'epoch 0 exited long before its 60 s parent shutdown time');
    const outcome = await stream.done;
    assert.equal(outcome.complete, false, 'the response through epoch 0 was cut short');
    assert.ok(outcome.chunks >= beforeThird && outcome.chunks < 100, `got ${outcome.chunks} of 100 chunks`);
  });

  it('a colliding base id fails at once with "unable to bind domain socket"; the running Envoy keeps serving and can still hot restart', async () => {
    const { s } = await setup('collide');
    const { s: other } = await setup('collide-other');
    const id = rawBaseId();
    raw('collide-0', epochArgs(s, id, 0, 1, 2));
    await rawLive(s, 0);
    const intruder = raw('collide-intruder', epochArgs(other, id, 0, 1, 2));
    const exit = await intruder.exited;
    assert.equal(exit.code, 1);
    assert.match(await intruder.output(), new RegExp(`unable to bind domain socket with base_id=${id * 10}`));
    assert.equal((await s.admin.ready()).live, true);
    raw('collide-1', epochArgs(s, id, 1, 1, 2));
    await rawLive(s, 1);
  });

  it('--hot-restart-version prints <protocol>.<size> on stderr, the same string admin reports', async () => {
    const { stdout, stderr } = await promisify(execFile)(realEnvoyBinary(), ['--hot-restart-version']);
    assert.equal(stdout, '');
    assert.match(stderr.trim(), /^\d+\.\d+$/);
    const { s } = await setup('version');
    raw('version-0', epochArgs(s, rawBaseId(), 0, 1, 2));
    await rawLive(s, 0);
    assert.equal((await s.admin.serverInfo()).hotRestartVersion, stderr.trim());
    assert.equal(await s.admin.hotRestartVersion(), stderr.trim());
    const parsed = await binaryHotRestartVersion(realEnvoyBinary());
    assert.deepEqual(parsed, { ok: true, version: stderr.trim() });
    // --disable-hot-restart reports "disabled": the supervisor never treats that as compatible.
    const wrapper = join(dir, 'disabled-envoy');
    await writeFile(wrapper, `#!/bin/sh\nexec ${realEnvoyBinary()} --disable-hot-restart "$@"\n`, {
      mode: 0o755,
    });
    assert.deepEqual(await binaryHotRestartVersion(wrapper), { ok: true, version: 'disabled' });
  });
});
