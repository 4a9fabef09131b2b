// The agent's epoch handling on the real binary, following the measured facts: epochs continue across agent
// restarts under the launcher; N+2 never starts while N drains (so N's open responses finish); a new binary hot
// restarts when its --hot-restart-version matches, else cold-starts; a colliding base id is named as such.
import assert from 'node:assert/strict';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LocalProcessHost } from '../../../src/envoy/process/host.ts';
import { LauncherClient, LauncherServer } from '../../../src/envoy/process/launcher.ts';
import { realEnvoyBinary } from '../../helpers/real-envoy.ts';
import { type Backend, httpBackends } from './backends.ts';
import { type Agent, cleanupEnv, lbSpec, type RealEnv, realEnv, serving, stats } from './harness.ts';
import { epochArgs, killAll, type RawEpoch, rawBootstrap, rawLive, startRaw } from './raw-envoy.ts';
import { streamGet } from './streams.ts';

const envs: { env: RealEnv; agents: Agent[] }[] = [];
const backends: Backend[] = [];
const raws: RawEpoch[] = [];
const closers: (() => Promise<void>)[] = [];
after(async () => {
  killAll(raws);
  for (const { env, agents } of envs) await cleanupEnv(env, agents);
  for (const c of closers) await c();
  for (const b of backends) await b.close();
});

async function start(options: Parameters<typeof realEnv>[0] = {}) {
  const env = await realEnv(options);
  const entry = { env, agents: [] as Agent[] };
  envs.push(entry);
  const bs = await httpBackends(2, `e${envs.length}-`);
  backends.push(...bs);
  await env.writeSpec(lbSpec(env, bs));
  const track = (a: Agent) => {
    entry.agents.push(a);
    return a;
  };
  return { env, bs, track };
}

const epochOf = async (env: RealEnv) => (await env.admin.serverInfo()).restartEpoch;

describe('agent epochs on the real Envoy binary', () => {
  it('epochs continue across agent restarts under the launcher: adopted untouched, the next hot restart is N+1', async () => {
    const { env, track } = await start();
    const socket = join(env.root, 'launcher.sock');
    const launcher = new LauncherServer(new LocalProcessHost({ logDir: join(env.root, 'launcher-logs') }));
    await launcher.listen(socket);
    closers.push(() => launcher.close());

    const first = track(await env.make({ host: new LauncherClient(socket) }));
    assert.equal((await first.reconciler.reconcile('start')).result, 'applied');
    env.bootstrap.maxConnections += 1;
    assert.equal((await first.reconciler.reconcile('bootstrap')).result, 'applied');
    assert.equal(await epochOf(env), 1);
    const pid = first.applier.envoyStatus().pid;
    await first.applier.close(); // the agent stops; Envoy stays (stop_on_exit is false)

    const second = track(await env.make({ host: new LauncherClient(socket) }));
    assert.equal(second.applier.envoyStatus().pid, pid, 'the serving epoch was adopted');
    assert.equal((await second.reconciler.reconcile('start')).result, 'unchanged');
    assert.equal(await epochOf(env), 1, 'no epoch for an agent restart');
    env.bootstrap.maxConnections += 1;
    const r = await second.reconciler.reconcile('bootstrap');
    assert.equal(r.result, 'applied', r.error);
    assert.equal(await epochOf(env), 2);
    // Envoy's own count of hot restarts: the gauge follows the epoch (1 + restart_epoch).
    const g = await stats(env, ['server.hot_restart_generation']);
    assert.equal(g['server.hot_restart_generation'], 3);
    await serving(env);
  });

  it('two bootstrap changes back to back: epoch 2 waits for epoch 0 to finish draining, whose open response completes', async () => {
    const { env, track } = await start({ drainTimeMs: 1000, parentShutdownTimeMs: 4000 });
    const agent = track(await env.make());
    assert.equal((await agent.reconciler.reconcile('start')).result, 'applied');
    await serving(env);
    const stream = streamGet(env.port, 30, 100); // ~3 s, within epoch 0's 4 s of parent shutdown
    await stream.started;
    env.bootstrap.maxConnections += 1;
    assert.equal((await agent.reconciler.reconcile('bootstrap 1')).result, 'applied');
    env.bootstrap.maxConnections += 1;
    const r = await agent.reconciler.reconcile('bootstrap 2');
    assert.equal(r.result, 'applied', r.error);
    assert.equal(await epochOf(env), 2);
    const outcome = await stream.done;
    assert.deepEqual(
      { complete: outcome.complete, error: outcome.error, closedCleanly: outcome.closedCleanly },
      { complete: true, error: undefined, closedCleanly: true },
      `stream through epoch 0: ${JSON.stringify(outcome)}`,
    );
  });

  it('a new binary with the same --hot-restart-version takes over by hot restart; another version cold-starts', async () => {
    const { env, track } = await start({ drainTimeMs: 1000, parentShutdownTimeMs: 4000 });
    const agent = track(await env.make());
    assert.equal((await agent.reconciler.reconcile('start')).result, 'applied');
    await serving(env);
    const stream = streamGet(env.port, 20, 100);
    await stream.started;
    await agent.applier.close();

    const same = join(env.root, 'envoy-upgraded');
    await symlink(realEnvoyBinary(), same);
    const upgraded = track(
      await env.make({ config: { ...env.config, envoy: { ...env.config.envoy, binaryPath: same } } }),
    );
    assert.equal(await epochOf(env), 1, 'hot restart onto the new binary');
    assert.equal(upgraded.applier.envoyStatus().epoch, 1);
    const outcome = await stream.done;
    assert.equal(outcome.complete, true, `the open response survived: ${JSON.stringify(outcome)}`);
    await upgraded.applier.close();

    const other = join(env.root, 'envoy-other-protocol');
    await writeFile(
      other,
      `#!/bin/sh\nif [ "$1" = --hot-restart-version ]; then echo 99.1 >&2; exit 0; fi\nexec ${same} "$@"\n`,
      { mode: 0o755 },
    );
    const incompatible = track(
      await env.make({ config: { ...env.config, envoy: { ...env.config.envoy, binaryPath: other } } }),
    );
    assert.equal(await epochOf(env), 0, 'an incompatible binary: cold start at epoch 0');
    assert.equal(incompatible.applier.envoyStatus().epoch, 0);
    await serving(env);
  });

  it('a base id another Envoy holds: the start fails at once, naming envoy.base_id; the other Envoy is untouched', async () => {
    const { env, bs, track } = await start();
    const dir = await mkdtemp(join(tmpdir(), 'vpsie-foreign-'));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    const foreign = await rawBootstrap(dir, bs[0]?.port ?? 0, 'http', 'foreign');
    raws.push(startRaw(dir, 'foreign', epochArgs(foreign, env.config.envoy.baseId, 0, 1, 2)));
    await rawLive(foreign, 0);
    const agent = track(await env.make());
    const r = await agent.reconciler.reconcile('start');
    assert.equal(r.result, 'failed');
    assert.match(r.error ?? '', new RegExp(`base id ${env.config.envoy.baseId} collides .*envoy\\.base_id`));
    assert.equal((await foreign.admin.ready()).live, true);
  });
});
