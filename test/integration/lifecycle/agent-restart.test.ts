// The real CLI in child processes: the launcher service owns Envoy; the agent is stopped, SIGKILLed inside a
// transaction and restarted, and must converge without disturbing (or losing) the serving Envoy.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  adminOf,
  cleanup,
  type Env,
  eventually,
  lifecycleEnv,
  livePids,
  liveVersions,
  REPO,
  specN,
  versionsOf,
  writeAgentYaml,
} from './harness.ts';

const envs: { env: Env; groups: number[] }[] = [];
after(async () => {
  for (const e of envs) await cleanup(e.env, e.groups);
});

function cli(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', join(REPO, 'src/cli.ts'), ...args], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'ignore'],
    detached: true,
  });
}

/** Resolves once the agent logged that it runs (signal handlers installed). */
const running = (child: ChildProcess): Promise<void> =>
  new Promise((resolve, reject) => {
    let seen = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      seen += chunk;
      if (seen.includes('agent running')) resolve();
    });
    child.once('exit', () => reject(new Error(`agent exited before running: ${seen.slice(-500)}`)));
  });

const exited = (child: ChildProcess): Promise<{ code: number | null; signal: string | null }> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null)
      resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });

const agentYaml = (t: Env, maxConnections: number): Promise<string> =>
  writeAgentYaml(t, {
    top: ['logging: {level: info}', 'vpsie: {poll_interval: 60s}'],
    envoy: ['verify_timeout: 10s', `max_connections: ${maxConnections}`],
  });

const appliedHash = async (t: Env): Promise<string | undefined> => {
  try {
    return (JSON.parse(await readFile(join(t.config.stateDir, 'applied.json'), 'utf8')) as { hash: string })
      .hash;
  } catch {
    return undefined;
  }
};

describe('agent restarts with the launcher service', () => {
  it('SIGTERM leaves Envoy serving; a restart adopts it untouched; SIGKILL mid-transaction converges', async () => {
    const t = await lifecycleEnv('dynamic');
    const groups: number[] = [];
    envs.push({ env: t, groups });
    const launcher = cli(['launcher', '--socket', t.config.envoy.launcherSocket], t.envoyEnv);
    groups.push(launcher.pid ?? 0);
    await eventually('launcher socket', async () =>
      (await readFile(`${t.config.envoy.launcherSocket}.pid`, 'utf8').catch(() => '')) ? true : undefined,
    );
    await t.writeSpec(specN(0));
    const config = await agentYaml(t, 50_000);
    const run = (extra: Record<string, string> = {}) => {
      const agent = cli(['run', '--config', config], { ...t.envoyEnv, ...extra });
      groups.push(agent.pid ?? 0);
      return agent;
    };

    let agent = run();
    await running(agent);
    const first = await eventually('first apply', () => appliedHash(t), 40_000);
    const pid = (await livePids(t.journal))[0];
    agent.kill('SIGTERM');
    assert.deepEqual(await exited(agent), { code: 0, signal: null });
    assert.deepEqual(await livePids(t.journal), [pid], 'Envoy survives the agent');

    agent = run();
    await running(agent);
    assert.deepEqual(await versionsOf(t), await liveVersions(t));
    agent.kill('SIGTERM');
    assert.equal((await exited(agent)).code, 0);
    assert.deepEqual(await livePids(t.journal), [pid], 'same Envoy after an agent restart');

    // SIGKILL after the new files are installed, then a restart without the hook. Each step's spec is new, so
    // convergence means a hash other than the one the previous step converged on (else the check could pass
    // before the restarted agent has even begun its transaction).
    let previous = first;
    for (const [step, n, maxConnections] of [
      ['after-install', 1, 50_000],
      ['after-spawn-before-live', 2, 60_000],
      ['after-live-before-commit', 3, 70_000],
    ] as const) {
      await t.writeSpec(specN(n));
      await agentYaml(t, maxConnections);
      agent = run({ VPSIE_LB_AGENT_TEST_KILL_AT: step });
      assert.equal((await exited(agent)).signal, 'SIGKILL', `killed at ${step}`);
      agent = run();
      await running(agent);
      const hash = await eventually(
        `convergence after ${step}`,
        async () => {
          const h = await appliedHash(t);
          if (h === undefined || h === previous) return undefined;
          try {
            const v = await versionsOf(t);
            const open = (await readFile(join(t.config.stateDir, 'transactions.json'), 'utf8')).match(
              /"(pending|applying)"/,
            );
            const live = await liveVersions(t);
            return v.clusters === live.clusters && v.listeners === live.listeners && open === null
              ? h
              : undefined;
          } catch {
            return undefined;
          }
        },
        60_000,
      );
      const history = JSON.parse(await readFile(join(t.config.stateDir, 'transactions.json'), 'utf8')) as {
        state: string;
        hash: string;
      }[];
      assert.ok(
        history.some((r) => r.state === 'rolled_back'),
        'the interrupted transaction is settled',
      );
      assert.equal(history.filter((r) => r.state === 'pending' || r.state === 'applying').length, 0);
      assert.ok(
        history.some((r) => r.state === 'committed' && r.hash === hash),
        'the converged hash is committed',
      );
      const envoy = JSON.parse(await readFile(join(t.config.stateDir, 'envoy.json'), 'utf8')) as {
        serving: { epoch: number; pid: number };
      };
      assert.equal((await adminOf(t).serverInfo()).restartEpoch, envoy.serving.epoch);
      await eventually('one Envoy serving', async () => {
        const live = await livePids(t.journal);
        return live.length === 1 && live[0] === envoy.serving.pid ? true : undefined;
      });
      previous = hash;
      agent.kill('SIGTERM');
      assert.equal((await exited(agent)).code, 0);
    }
    launcher.kill('SIGTERM');
    assert.equal((await exited(launcher)).code, 0);
  });
});
