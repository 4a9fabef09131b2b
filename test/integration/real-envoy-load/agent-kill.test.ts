// The real CLI on the real binary, under load: the launcher owns Envoy; the agent SIGKILLs itself at each step of a
// transaction (VPSIE_LB_AGENT_TEST_KILL_AT) and is started again. Envoy keeps serving throughout (no failed
// request), and the restarted agent converges on the new configuration with no epoch beyond what the change needs.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { writeAgentYaml } from '../lifecycle/harness.ts';
import { type Backend, httpBackends } from './backends.ts';
import { cleanupEnv, eventually, freePort, lbSpec, type RealEnv, realEnv, serving } from './harness.ts';
import { type Load, moreRequests, startLoad } from './load.ts';

const REPO = resolve(import.meta.dirname, '../../..');
const groups: number[] = [];
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const g of groups) {
    try {
      process.kill(-g, 'SIGKILL');
    } catch {
      // gone
    }
  }
  for (const c of cleanups) await c();
});

function cli(args: string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'src/cli.ts'), ...args], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'ignore'],
    detached: true,
  });
  groups.push(child.pid ?? 0);
  return child;
}

const exited = (child: ChildProcess): Promise<string | null> =>
  new Promise((r) => {
    if (child.exitCode !== null || child.signalCode !== null) r(child.signalCode);
    else child.once('exit', (_code, signal) => r(signal));
  });

async function agentYaml(env: RealEnv, maxConnections: number): Promise<string> {
  return writeAgentYaml(env, {
    top: [
      'address_policy: {allow_cidrs: [127.0.0.0/8]}',
      'logging: {level: info}',
      `server: {listen: 127.0.0.1:${await freePort()}}`,
    ],
    envoy: ['verify_timeout: 30s', `max_connections: ${maxConnections}`],
  });
}

const stateJson = async <T>(env: RealEnv, name: string): Promise<T | undefined> => {
  try {
    return JSON.parse(await readFile(join(env.config.stateDir, name), 'utf8')) as T;
  } catch {
    return undefined;
  }
};

describe('agent SIGKILL at each transaction step (real CLI, real Envoy, load running)', () => {
  it('Envoy keeps serving; the restarted agent converges; no epoch beyond what the change needs', async () => {
    const env = await realEnv();
    const pool: Backend[] = await httpBackends(4, 'k');
    let load: Load | undefined;
    cleanups.push(async () => {
      await load?.stop();
      await cleanupEnv(env, []);
      for (const b of pool) await b.close();
    });
    const launcher = cli(['launcher', '--socket', env.config.envoy.launcherSocket]);
    await eventually('launcher up', async () =>
      (await readFile(`${env.config.envoy.launcherSocket}.pid`, 'utf8').catch(() => '')) !== ''
        ? true
        : undefined,
    );
    let maxConnections = 50_000;
    await env.writeSpec(lbSpec(env, pool.slice(0, 2)));
    let config = await agentYaml(env, maxConnections);
    let agent = cli(['run', '--config', config]);
    let committed = await eventually(
      'first apply',
      async () => (await stateJson<{ hash: string }>(env, 'applied.json'))?.hash,
      60_000,
    );
    await serving(env);
    load = startLoad({ port: env.port, keepAliveWorkers: 2, freshWorkers: 1 });
    await moreRequests(load, 20);
    agent.kill('SIGTERM');
    await exited(agent);

    const steps = [
      ['after-backup', false],
      ['after-install', false],
      ['after-spawn-before-live', true],
      ['after-live-before-commit', true],
    ] as const;
    let epoch = 0;
    let n = 0;
    for (const [step, bootstrap] of steps) {
      n++;
      await env.writeSpec(lbSpec(env, pool.slice(n % 3, (n % 3) + 2)));
      if (bootstrap) maxConnections += 1000;
      config = await agentYaml(env, maxConnections);
      agent = cli(['run', '--config', config], { VPSIE_LB_AGENT_TEST_KILL_AT: step });
      assert.equal(await exited(agent), 'SIGKILL', `killed at ${step}`);
      await moreRequests(load, 20);
      agent = cli(['run', '--config', config]);
      const previous = committed;
      committed = await eventually(
        `converged after ${step}`,
        async () => {
          const h = (await stateJson<{ hash: string }>(env, 'applied.json'))?.hash;
          const txs = (await stateJson<{ state: string }[]>(env, 'transactions.json')) ?? [];
          const open = txs.some((t) => t.state === 'pending' || t.state === 'applying');
          return h !== undefined && h !== previous && !open ? h : undefined;
        },
        90_000,
      );
      await moreRequests(load, 20);
      const now = (await env.admin.serverInfo()).restartEpoch;
      console.log(`killed at ${step}: epoch ${epoch} → ${now}`);
      // A backend change needs no epoch, a bootstrap change exactly one: an epoch the killed agent started is
      // kept serving and taken to the spec, not restarted onto the old bootstrap first.
      assert.equal(now - epoch, bootstrap ? 1 : 0, `${step}: epochs ${epoch} → ${now}`);
      epoch = now;
      agent.kill('SIGTERM');
      await exited(agent);
    }
    const result = await load.stop();
    load = undefined;
    assert.deepEqual(result.failures, [], `failed requests: ${JSON.stringify(result.failures.slice(0, 5))}`);
    launcher.kill('SIGTERM');
    await exited(launcher);
  });
});
