import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { pidAlive } from '../../../src/envoy/process/host.ts';
import { readEnvoyState } from '../../../src/envoy/process/state.ts';
import {
  adminOf,
  cleanup,
  type Env,
  eventually,
  lifecycleEnv,
  livePids,
  liveVersions,
  readJournal,
  specN,
  versionsOf,
  withEnv,
} from './harness.ts';

const CHANGES = Number(process.env.LIFECYCLE_BOOTSTRAP_CHANGES ?? '20');
const envs: Env[] = [];
after(async () => {
  for (const e of envs) await cleanup(e);
});

describe('hot restart by epoch with the Envoy double', () => {
  it(`${CHANGES} bootstrap changes: epochs 1..${CHANGES}, each gated on LIVE, never N+2 while N drains, one left serving`, async () => {
    const t = await lifecycleEnv('dynamic');
    envs.push(t);
    await t.writeSpec(specN(0));
    const { reconciler, applier } = await t.make();
    assert.equal((await reconciler.reconcile('test')).result, 'applied');
    for (let n = 1; n <= CHANGES; n++) {
      t.bootstrap.maxConnections = 1000 + n;
      const r = await reconciler.reconcile(`bootstrap ${n}`);
      assert.equal(r.result, 'applied', r.error);
      const info = await adminOf(t).serverInfo();
      assert.equal(info.restartEpoch, n);
      assert.equal(applier.envoyStatus().epoch, n);
    }
    const journal = await readJournal(t.journal);
    const at = (epoch: number, event: string) =>
      journal.find((l) => l.epoch === epoch && l.event === event)?.ms;
    for (let n = 0; n <= CHANGES; n++) assert.ok(at(n, 'live') !== undefined, `epoch ${n} went LIVE`);
    for (let n = 2; n <= CHANGES; n++) {
      const started = at(n, 'started');
      const parentOfParentGone = at(n - 2, 'terminated');
      assert.ok(started !== undefined && parentOfParentGone !== undefined, `epoch ${n - 2} terminated`);
      assert.ok(started >= parentOfParentGone, `epoch ${n} started before epoch ${n - 2} finished draining`);
    }
    const servingPid = applier.envoyStatus().pid;
    await eventually('only the last epoch left', async () => {
      const live = await livePids(t.journal);
      return live.length === 1 && live[0] === servingPid ? true : undefined;
    });
  });

  it('a new epoch that never goes LIVE is killed; the old epoch keeps serving; the next change cold-starts', async () => {
    const t = await lifecycleEnv('dynamic', 3000);
    envs.push(t);
    await t.writeSpec(specN(0));
    const { reconciler, applier, history } = await t.make();
    const good = await reconciler.reconcile('test');
    assert.equal(good.result, 'applied', good.error);
    const oldPid = applier.envoyStatus().pid ?? -1;
    t.bootstrap.maxConnections = 2000;
    // Double only: stands for a real epoch stuck in INITIALIZING (/ready 503), e.g. a cluster or listener that
    // never finishes warming (an unreachable DNS name, an SDS secret that never arrives); real Envoy cannot be
    // made to hang there on demand.
    const bad = await withEnv({ ENVOY_DOUBLE_NEVER_LIVE: '1' }, () => reconciler.reconcile('bootstrap'));
    assert.equal(bad.result, 'failed');
    assert.equal(history.list().at(-1)?.state, 'rolled_back');
    assert.equal(history.list().at(-1)?.stage, 'verify');
    assert.ok(pidAlive(oldPid), 'the old epoch still runs');
    assert.equal(applier.envoyStatus().pid, oldPid);
    assert.deepEqual(await livePids(t.journal), [oldPid]);
    assert.deepEqual(
      t.events.map((e) => e.type),
      ['config_updated', 'reload_failed', 'rollback'],
    );
    // The failed child left the "initializing" flag set: the retry needs the last-resort cold start, and works.
    const retry = await reconciler.reconcile('sighup', { retryFailed: true });
    assert.equal(retry.result, 'applied', retry.error);
    assert.equal((await adminOf(t).serverInfo()).restartEpoch, 0);
    assert.equal((await versionsOf(t)).clusters, (await liveVersions(t)).clusters);
  });

  it('a new epoch that crashes after start: rollback, the old epoch still serving', async () => {
    const t = await lifecycleEnv('hot_restart', 10_000);
    envs.push(t);
    await t.writeSpec(specN(0));
    const { reconciler, applier } = await t.make();
    assert.equal((await reconciler.reconcile('test')).result, 'applied');
    const oldPid = applier.envoyStatus().pid ?? -1;
    await t.writeSpec(specN(1));
    // Double only: stands for a real new epoch that aborts (SIGABRT, exit 134: an assertion, OOM kill) while
    // still initializing; nothing in a valid config makes real Envoy crash on cue.
    const bad = await withEnv(
      { ENVOY_DOUBLE_INIT_DELAY_MS: '20000', ENVOY_DOUBLE_CRASH_AFTER_MS: '500' },
      () => reconciler.reconcile('change'),
    );
    assert.equal(bad.result, 'failed');
    assert.match(bad.error ?? '', /exited before LIVE/);
    assert.ok(pidAlive(oldPid));
    assert.deepEqual(await livePids(t.journal), [oldPid]);
    assert.deepEqual(
      t.events.map((e) => e.type),
      ['config_updated', 'reload_failed', 'rollback'],
    );
  });

  it('restore failure (old epoch gone and cannot be restarted) → critical_failure, visible in status', async () => {
    const t = await lifecycleEnv('hot_restart', 3000);
    envs.push(t);
    await t.writeSpec(specN(0));
    const { reconciler, applier } = await t.make();
    assert.equal((await reconciler.reconcile('test')).result, 'applied');
    const oldPid = applier.envoyStatus().pid ?? -1;
    await t.writeSpec(specN(1));
    // Double only: stands for a new epoch that passes `--mode validate` but exits 1 at start with "error …
    // initializing config" (e.g. a port another process took between validate and start, a certificate file
    // that vanished); the real binary cannot be made to fail a start of a valid config on demand.
    const bad = await withEnv({ ENVOY_DOUBLE_FAIL_START: '1' }, async () => {
      const pending = reconciler.reconcile('change');
      process.kill(oldPid, 'SIGKILL');
      return pending;
    });
    assert.equal(bad.result, 'failed');
    assert.deepEqual(
      t.events.map((e) => e.type),
      ['config_updated', 'reload_failed', 'critical_failure'],
    );
    assert.match(applier.envoyStatus().restoreFailed ?? '', /restore/);
  });

  it('Envoy crash → restarted from the last good config; a crash loop stops and reports', async () => {
    const t = await lifecycleEnv('hot_restart');
    envs.push(t);
    await t.writeSpec(specN(0));
    const { reconciler, applier } = await t.make();
    const good = await reconciler.reconcile('test');
    assert.equal(good.result, 'applied');
    const first = applier.envoyStatus().pid ?? -1;
    process.kill(first, 'SIGKILL');
    const second = await eventually('a restarted Envoy', async () => {
      const s = applier.envoyStatus();
      return s.pid !== undefined && s.pid !== first && s.running ? s.pid : undefined;
    });
    assert.equal((await adminOf(t).serverInfo()).state, 'LIVE');
    // The supervisor's memory runs one write ahead of envoy.json: wait for the file, not just the new pid.
    await eventually('envoy.json naming the restarted epoch', async () =>
      (await readEnvoyState(t.config.stateDir))?.hash === good.hash ? true : undefined,
    );
    assert.equal((await versionsOf(t)).clusters, undefined);
    // Now every start crashes soon after LIVE: after 5 exits the supervisor gives up and reports.
    // Double only: stands for a real Envoy that keeps dying soon after LIVE (a crash bug, the OOM killer).
    await withEnv({ ENVOY_DOUBLE_CRASH_AFTER_MS: '400' }, async () => {
      process.kill(second, 'SIGKILL');
      await eventually(
        'critical_failure for the crash loop',
        async () => (t.events.some((e) => e.type === 'critical_failure') ? true : undefined),
        60_000,
      );
    });
    assert.equal(applier.envoyStatus().crashLoop, true);
    assert.match(t.events.find((e) => e.type === 'critical_failure')?.message ?? '', /crash loop/);
  });
});
