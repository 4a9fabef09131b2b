// End to end with Envoy (the test double): the real `vpsie-lb-agent run`, a spec change, SIGHUP, the new
// configuration live in Envoy, /readyz and /status telling the truth, then SIGTERM and exit 0 — in both strategies.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { ApplyStrategy } from '../../../src/config/types.ts';
import { freePort, runCli, waitFor } from '../../helpers/cli-process.ts';
import {
  adminOf,
  cleanup,
  type Env,
  lifecycleEnv,
  livePids,
  liveVersions,
  specN,
  versionsOf,
  writeAgentYaml,
} from './harness.ts';

const envs: Env[] = [];
after(async () => {
  for (const e of envs) await cleanup(e);
});

const agentYaml = (t: Env, serverPort: number): Promise<string> =>
  writeAgentYaml(t, {
    top: [
      'logging: {level: info, format: json}',
      'vpsie: {poll_interval: 1h}',
      `server: {listen: 127.0.0.1:${serverPort}}`,
    ],
    envoy: ['verify_timeout: 20s', 'stop_on_exit: true'],
  });

for (const strategy of ['dynamic', 'hot_restart'] as ApplyStrategy[]) {
  describe(`vpsie-lb-agent run with Envoy (${strategy})`, () => {
    it('applies at start, re-applies after SIGHUP, reports readiness, exits 0 on SIGTERM', async () => {
      const t = await lifecycleEnv(strategy, 20_000);
      envs.push(t);
      const port = await freePort();
      await t.writeSpec(specN(1));
      const agent = runCli(['run', '--config', await agentYaml(t, port)], t.envoyEnv);
      try {
        const admin = adminOf(t);
        const status = async () =>
          (await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as {
            applied_hash: string | null;
            envoy: { state: string; epoch: number | null };
          };
        const first = await waitFor('the first config live', 60_000, async () => {
          const s = await status().catch(() => undefined);
          return s?.applied_hash && s.envoy.state === 'LIVE' ? s : undefined;
        });
        await waitFor('/readyz 200', 10_000, async () =>
          (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200
            ? true
            : undefined,
        );
        const epochBefore = (await admin.serverInfo()).restartEpoch;

        await t.writeSpec(specN(2));
        agent.child.kill('SIGHUP');
        await waitFor('the second config live', 60_000, async () => {
          const s = await status().catch(() => undefined);
          return s?.applied_hash && s.applied_hash !== first.applied_hash && s.envoy.state === 'LIVE'
            ? s
            : undefined;
        });
        if (strategy === 'dynamic') {
          const versions = await versionsOf(t);
          assert.deepEqual(versions, await liveVersions(t), 'Envoy took the files now live');
          assert.equal(
            (await admin.serverInfo()).restartEpoch,
            epochBefore,
            'a dynamic change must not restart Envoy',
          );
        } else {
          assert.equal((await admin.serverInfo()).restartEpoch, epochBefore + 1);
        }
        // The report (and so the metric) follows the commit that /status already shows.
        await waitFor('two applied reconciles in /metrics', 10_000, async () =>
          /vpsie_lb_agent_reconciles_total\{result="applied"\} 2/.test(
            await (await fetch(`http://127.0.0.1:${port}/metrics`)).text(),
          )
            ? true
            : undefined,
        );

        agent.child.kill('SIGTERM');
        assert.equal(await agent.exited(60_000), 0, agent.output().slice(-2000));
        // stop_on_exit: Envoy was drained and stopped with the agent.
        await waitFor('Envoy stopped', 20_000, async () =>
          (await livePids(t.journal)).length === 0 ? true : undefined,
        );
      } finally {
        agent.child.kill('SIGKILL');
      }
    });
  });
}
