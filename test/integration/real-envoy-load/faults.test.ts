// Faults with load running, on the real binary: a config file corrupted under Envoy (refused, serving goes on),
// then Envoy SIGKILLed (the agent puts the committed files back and restarts it: time to serving printed); the
// state directory's file system full during a transaction (serving untouched, the error names the file, recovery
// once space is back).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { xdsFilePaths } from '../../../src/envoy/build/names.ts';
import { httpBackends } from './backends.ts';
import {
  type Agent,
  cleanupEnv,
  eventually,
  installedVersions,
  lbSpec,
  realEnv,
  serving,
  stats,
  versions,
} from './harness.ts';
import { moreRequests, startLoad } from './load.ts';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function started(options: Parameters<typeof realEnv>[0] = {}) {
  const env = await realEnv(options);
  const bs = await httpBackends(3, 'f');
  const agents: Agent[] = [];
  cleanups.push(async () => {
    await cleanupEnv(env, agents);
    for (const b of bs) await b.close();
  });
  await env.writeSpec(lbSpec(env, bs.slice(0, 2)));
  const agent = await env.make();
  agents.push(agent);
  const r = await agent.reconciler.reconcile('start');
  assert.equal(r.result, 'applied', r.error);
  await serving(env);
  return { env, bs, agent };
}

describe('faults under load (real Envoy)', () => {
  it('a clusters file corrupted under Envoy is refused while serving goes on; after SIGKILL the agent restores the files and Envoy serves again', async () => {
    const { env, agent } = await started();
    const load = startLoad({ port: env.port, keepAliveWorkers: 2, freshWorkers: 1 });
    cleanups.push(async () => void (await load.stop()));
    await moreRequests(load, 20);
    const paths = xdsFilePaths(env.config);
    assert.deepEqual(await versions(env), await installedVersions(env));
    const before = await stats(env, ['cluster_manager.cds.update_failure']);
    const tmp = `${paths.clusters}.corrupt`;
    await writeFile(tmp, 'version_info: "x"\nresources: [ {{{ not yaml\n');
    await rename(tmp, paths.clusters); // a move, as Envoy's watch needs: it reads and refuses the file
    await eventually('Envoy refused the corrupted file', async () => {
      const now = await stats(env, ['cluster_manager.cds.update_failure']);
      return now['cluster_manager.cds.update_failure']! > before['cluster_manager.cds.update_failure']!
        ? true
        : undefined;
    });
    await moreRequests(load, 50);
    assert.deepEqual(load.failures(), [], 'serving went on with the last good configuration');

    const pid = agent.applier.envoyStatus().pid ?? -1;
    const committedVersions = await versions(env);
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    const failedBefore = load.failures().length;
    await eventually(
      'Envoy restarted by the agent',
      () => {
        const s = agent.applier.envoyStatus();
        return s.pid !== undefined && s.pid !== pid && s.running ? true : undefined;
      },
      30_000,
    );
    await serving(env);
    const toServing = Date.now() - killedAt;
    assert.deepEqual(await versions(env), committedVersions, 'the committed configuration');
    assert.equal((await env.admin.serverInfo()).restartEpoch, 0);
    const failedDuringOutage = load.failures().length - failedBefore;
    const mark = load.failures().length;
    await moreRequests(load, 100);
    const result = await load.stop();
    assert.equal(result.failures.length, mark, 'no failure once Envoy is back');
    console.log(
      `Envoy SIGKILL → serving again in ${toServing} ms (crash backoff 100 ms in this test, 1 s by default); ${failedDuringOutage} requests failed during the outage`,
    );
  });

  it('the state directory full during a transaction: serving untouched, the error names the file; applied once space is back', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'vpsie-state-tmpfs-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', stateDir], { stdio: 'pipe' });
    } catch (err) {
      // Without the small file system there is no full disk to show: a failure, never a pass (CI runs as root).
      assert.fail(
        `cannot mount a tmpfs as state_dir (needs root and CAP_SYS_ADMIN): ${String(err).split('\n')[0]}`,
      );
    }
    cleanups.push(async () => {
      execFileSync('umount', ['-l', stateDir]);
      await rm(stateDir, { recursive: true, force: true });
    });
    const { env, bs, agent } = await started({ edit: (c) => ({ ...c, stateDir }) });
    const load = startLoad({ port: env.port, keepAliveWorkers: 2, freshWorkers: 1 });
    cleanups.push(async () => void (await load.stop()));
    await moreRequests(load, 20);
    const filler = join(stateDir, 'filler');
    try {
      execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=4k', 'count=1024'], { stdio: 'pipe' });
    } catch {
      // dd stops at ENOSPC: the file system is full, which is the point
    }
    const servingBefore = await versions(env);
    await env.writeSpec(lbSpec(env, bs.slice(1, 3)));
    const r = await agent.reconciler.reconcile('change while full');
    assert.equal(r.result, 'failed');
    assert.match(r.error ?? '', /ENOSPC|no space/i);
    assert.match(
      r.error ?? '',
      new RegExp(stateDir.replaceAll('/', '\\/')),
      `the error names the file: ${r.error}`,
    );
    assert.deepEqual(await versions(env), servingBefore, 'serving configuration untouched');
    await moreRequests(load, 30);
    await rm(filler);
    await sleep(100);
    const retry = await agent.reconciler.reconcile('space is back', { retryFailed: true });
    assert.equal(retry.result, 'applied', retry.error);
    assert.deepEqual(await versions(env), await installedVersions(env));
    await moreRequests(load, 30);
    const result = await load.stop();
    assert.deepEqual(result.failures, []);
    console.log(`state_dir full: ${r.error}`);
  });
});
