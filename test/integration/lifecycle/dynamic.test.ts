import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readEnvoyState } from '../../../src/envoy/process/state.ts';
import {
  adminOf,
  cleanup,
  type Env,
  lifecycleEnv,
  livePids,
  liveVersions,
  readJournal,
  specN,
  versionsOf,
  withEnv,
} from './harness.ts';

const envs: Env[] = [];
after(async () => {
  for (const e of envs) await cleanup(e);
});

describe('dynamic strategy with the Envoy double', () => {
  it('first start, 20 file-only changes without a new epoch, each verified by admin', async () => {
    const t = await lifecycleEnv('dynamic');
    envs.push(t);
    await t.writeSpec(specN(0));
    const { reconciler, applier } = await t.make();
    const first = await reconciler.reconcile('test');
    assert.equal(first.result, 'applied', first.error);
    const info = await adminOf(t).serverInfo();
    assert.equal(info.restartEpoch, 0);
    assert.equal(info.state, 'LIVE');
    const pid = applier.envoyStatus().pid;
    assert.ok(pid !== undefined);
    for (let n = 1; n <= 20; n++) {
      await t.writeSpec(specN(n));
      const r = await reconciler.reconcile(`change ${n}`);
      assert.equal(r.result, 'applied', r.error);
      const v = await versionsOf(t);
      assert.deepEqual(v, await liveVersions(t));
    }
    assert.equal(applier.envoyStatus().pid, pid);
    const journal = await readJournal(t.journal);
    assert.deepEqual(
      journal.filter((l) => l.event === 'started').map((l) => l.epoch),
      [0],
    );
    assert.equal(journal.filter((l) => l.event === 'update rejected').length, 0);
    const applied = JSON.parse(await readFile(join(t.config.stateDir, 'applied.json'), 'utf8')) as {
      epoch: number;
    };
    assert.equal(applied.epoch, 0);
    assert.equal((await readEnvoyState(t.config.stateDir))?.hash, reconciler.lastReport?.hash);
    assert.equal(t.events.filter((e) => e.type === 'config_updated').length, 21);
    assert.deepEqual(await livePids(t.journal), [pid]);
  });

  it('a rejected dynamic update rolls back: old version serving, reload_failed + rollback events', async () => {
    const t = await lifecycleEnv('dynamic');
    envs.push(t);
    await t.writeSpec(specN(0));
    const { reconciler, history } = await t.make();
    const good = await reconciler.reconcile('test');
    assert.equal(good.result, 'applied', good.error);
    const goodVersions = await liveVersions(t);
    const goodClusters = await readFile(join(t.config.envoy.configPath, 'clusters.yaml'), 'utf8');
    // Double only: stands for real Envoy refusing a file update the schema check let through (update_rejected,
    // or update_failure for a file it cannot parse; shown on the real binary in real-envoy/validate-xds.test.ts).
    // A config the agent renders is meant to pass, so the refusal is injected.
    await writeFile(join(t.controlDir, 'reject-next-update'), '');
    await t.writeSpec(specN(1));
    const bad = await reconciler.reconcile('change');
    assert.equal(bad.result, 'failed');
    assert.match(bad.error ?? '', /rejected (the (clusters|listeners) update|the endpoints of)/);
    const v = await versionsOf(t);
    assert.deepEqual(v, goodVersions);
    assert.deepEqual(
      t.events.map((e) => e.type),
      ['config_updated', 'reload_failed', 'rollback'],
    );
    assert.equal(history.list().at(-1)?.state, 'rolled_back');
    assert.equal(history.list().at(-1)?.stage, 'verify');
    assert.equal(await readFile(join(t.config.envoy.configPath, 'clusters.yaml'), 'utf8'), goodClusters);
  });

  it('envoy --mode validate rejecting the config touches nothing', async () => {
    const t = await lifecycleEnv('dynamic');
    envs.push(t);
    await t.writeSpec(specN(0));
    const { reconciler, history, applier } = await t.make();
    const good = await reconciler.reconcile('test');
    assert.equal(good.result, 'applied', good.error);
    const before = await readFile(join(t.config.envoy.configPath, 'listeners.yaml'), 'utf8');
    const goodVersions = await liveVersions(t);
    // A cluster change too: a change of endpoints only is not run through validate mode (see envoy-applier.ts).
    await t.writeSpec({ ...specN(1), algorithm: 'least_request' });
    // Double only: stands for real `envoy --mode validate` exiting 1 on the static bootstrap (what it does for
    // every refused mutant in real-envoy/validate-fixtures.test.ts); the agent's own schema check stops such
    // configs earlier, so the refusal is injected.
    const bad = await withEnv({ ENVOY_DOUBLE_REJECT_VALIDATION: '1' }, () => reconciler.reconcile('change'));
    assert.equal(bad.result, 'failed');
    assert.equal(history.list().at(-1)?.stage, 'validate');
    assert.equal(await readFile(join(t.config.envoy.configPath, 'listeners.yaml'), 'utf8'), before);
    assert.deepEqual(await versionsOf(t), goodVersions);
    assert.deepEqual(
      t.events.map((e) => e.type),
      ['config_updated', 'reload_failed', 'rollback'],
    );
    assert.equal(applier.envoyStatus().epoch, 0);
  });
});
