// SIGHUP (systemctl reload) against a running agent with real Envoy: a changed valid agent.yaml takes effect (the
// bootstrap by hot restart), keys that need a restart are named, and an invalid file is refused with its key.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createAdminClient } from '../../../src/envoy/admin/client.ts';
import { waitFor } from '../../helpers/cli-process.ts';
import { converged, type OpsEnv, opsEnv, statusUntil } from './harness.ts';

const envs: OpsEnv[] = [];
after(async () => {
  for (const e of envs) await e.cleanup();
});

const epochOf = (s: Record<string, unknown>) => (s.envoy as { epoch: number }).epoch;

describe('reload: SIGHUP re-reads agent.yaml (real Envoy)', () => {
  it('takes a valid change (hot restart for the bootstrap), refuses an invalid file and keeps running', async () => {
    const env = await opsEnv(1);
    envs.push(env);
    await env.start();
    const first = await statusUntil(env, 'converged', converged);
    assert.equal(epochOf(first), 0);
    const admin = createAdminClient({ host: '127.0.0.1', port: env.adminPort });
    const hup = () => process.kill(env.agent!.child.pid!, 'SIGHUP');
    const log = () => env.agent?.output() ?? '';

    // Valid: envoy.max_connections (bootstrap: hot restart) and vpsie.health_interval (needs a restart: named).
    await env.writeConfig({ envoyExtra: ['max_connections: 4321'] });
    const { writeFile, readFile } = await import('node:fs/promises');
    await writeFile(
      env.configFile,
      (await readFile(env.configFile, 'utf8')).replace('health_interval: 1s', 'health_interval: 2s'),
    );
    hup();
    const restarted = await statusUntil(
      env,
      'the new bootstrap committed in a new epoch',
      (s) => s.applied_hash !== first.applied_hash && converged(s),
    );
    assert.equal(epochOf(restarted), 1);
    const dump = JSON.stringify(await admin.configDump());
    assert.match(dump, /"max_active_downstream_connections":"?4321/);
    await waitFor('the reload event', 10_000, () =>
      /"event":"agent_config_reloaded"/.test(log()) ? true : undefined,
    );
    assert.match(
      log(),
      /reloaded .*agent\.yaml: taking envoy\.max_connections; vpsie\.health_interval need systemctl restart vpsie-lb-agent/,
    );
    // plan against the reloaded file: nothing left to change.
    const plan = await env.cli(['plan', '--spec', env.specFile]);
    assert.equal(plan.code, 0, plan.out);

    // envoy.ipv6 adds the [::] listener: plan says a listener is added by file update, and reload does just that
    // (no new epoch), after which the load balancer answers on ::1 too.
    await writeFile(
      env.configFile,
      (await readFile(env.configFile, 'utf8')).replace('envoy:\n', 'envoy:\n  ipv6: true\n'),
    );
    const v6plan = await env.cli(['plan', '--spec', env.specFile]);
    assert.equal(v6plan.code, 3, v6plan.out);
    assert.match(v6plan.out, /\+ Listener lb-lb-ops-v6 \(added\)/);
    assert.match(v6plan.out, /apply {2}file update \(no new Envoy epoch\)/);
    assert.match(v6plan.out, /drain {2}no listener drains connections/);
    hup();
    const v6 = await statusUntil(
      env,
      'the v6 listener committed',
      (s) => s.applied_hash !== restarted.applied_hash && converged(s),
    );
    assert.equal(epochOf(v6), 1, 'a listener added by file update, not by a hot restart');
    const viaV6 = await waitFor('an answer on [::1]', 20_000, async () => {
      try {
        return (
          await (await fetch(`http://[::1]:${env.lbPort}/`, { headers: { connection: 'close' } })).text()
        ).trim();
      } catch {
        return undefined;
      }
    });
    assert.equal(viaV6, 'b1');
    assert.match(log(), /reloaded .*agent\.yaml: taking envoy\.ipv6/);

    // Invalid: refused, the key named, the running configuration kept (same hash, same epoch, still serving).
    await writeFile(
      env.configFile,
      (await readFile(env.configFile, 'utf8')).replace('max_connections: 4321', 'max_connections: lots'),
    );
    hup();
    await waitFor('the refusal event', 20_000, () =>
      /"event":"agent_config_rejected"/.test(log()) ? true : undefined,
    );
    assert.match(log(), /reload refused: agent\.yaml is invalid; the running configuration is kept/);
    assert.match(log(), /envoy\.max_connections: must be an integer 1\.\.10000000, got \\"lots\\"/);
    const kept = await statusUntil(
      env,
      'still converged',
      (s) => (s.last_reconcile as { trigger: string }).trigger === 'sighup' && converged(s),
    );
    assert.equal(kept.applied_hash, v6.applied_hash);
    assert.equal(epochOf(kept), 1);
    assert.equal(env.agent?.child.exitCode, null, 'the agent keeps running');
    const served = await fetch(`http://127.0.0.1:${env.lbPort}/`);
    assert.equal((await served.text()).trim(), 'b1');
  });
});
