// `vpsie-lb-agent rollback` and `release` through the real CLI against a running agent with real Envoy: the
// previous generation serves again, the hold survives an agent restart and ends with a new spec or `release`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CLI, REPO_ROOT, waitFor } from '../../helpers/cli-process.ts';
import { converged, type OpsEnv, opsEnv, statusUntil } from './harness.ts';

const envs: OpsEnv[] = [];
after(async () => {
  for (const e of envs) await e.cleanup();
});

/** Which backends answer through Envoy's listener, over `n` requests. */
async function servedBy(env: OpsEnv, n = 12): Promise<string[]> {
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const r = await fetch(`http://127.0.0.1:${env.lbPort}/`, { headers: { connection: 'close' } });
    seen.add((await r.text()).trim());
  }
  return [...seen].sort();
}

const holdOf = (s: Record<string, unknown>) =>
  s.hold as { generation: number; to_hash: string; from_hash: string } | null;
const metric = async (env: OpsEnv, name: string) => {
  const text = await (await fetch(`http://127.0.0.1:${env.agentPort}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
};

describe('vpsie-lb-agent rollback / release (real Envoy)', () => {
  it('rolls back through a transaction, holds across a restart, and ends the hold on a new spec or release', async () => {
    const env = await opsEnv(3);
    envs.push(env);
    const [b1, b2, b3] = env.backends as [
      OpsEnv['backends'][number],
      OpsEnv['backends'][number],
      OpsEnv['backends'][number],
    ];
    const specA = env.spec({ backends: [b1, b2] });
    const specB = env.spec({ backends: [b3] });
    await env.writeSpec(specA);
    await env.start();
    const a = await statusUntil(env, 'A converged', converged);
    await env.writeSpec(specB);
    const b = await statusUntil(env, 'B converged', (s) => s.applied_hash !== a.applied_hash && converged(s));
    assert.deepEqual(await servedBy(env), ['b3']);

    // Only the owner and group reach the control socket: another user is refused, and nothing changes.
    assert.equal((await stat(join(env.stateDir, 'control.sock'))).mode & 0o777, 0o660);
    await chmod(env.root, 0o755); // agent.yaml readable; state_dir stays 0750
    await chmod(env.configFile, 0o644);
    const other = spawnSync(
      'runuser',
      [
        '-u',
        'nobody',
        '--',
        process.execPath,
        '--import',
        'tsx',
        CLI,
        'rollback',
        '--config',
        env.configFile,
      ],
      { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, HOME: '/tmp' }, timeout: 60_000 },
    );
    assert.equal(other.status, 1, other.stdout + other.stderr);
    assert.match(
      other.stderr,
      /permission denied on .*control\.sock: run as root or as a member of the agent's group/,
    );
    assert.equal((await env.status()).applied_hash, b.applied_hash);

    const bad = await env.cli(['rollback', '--to', '999']);
    assert.equal(bad.code, 1);
    assert.match(bad.out, /generation 999 is not kept \(kept: 2 \(live\), 1\)/);

    const rolled = await env.cli(['rollback']);
    assert.equal(rolled.code, 0, rolled.out);
    assert.match(
      rolled.out,
      /rolled back to generation 1 \([0-9a-f]{12}\) and holding it\n[0-9a-f]{12} is not applied until the spec changes or: vpsie-lb-agent release\n/,
    );
    const held = await statusUntil(
      env,
      'held on A',
      (s) => holdOf(s) !== null && s.applied_hash === a.applied_hash,
    );
    assert.equal(holdOf(held)?.from_hash, b.applied_hash);
    assert.deepEqual(await servedBy(env), ['b1', 'b2']);
    assert.equal(await metric(env, 'vpsie_lb_agent_hold_active'), 1);
    assert.equal(await metric(env, 'vpsie_lb_agent_operator_rollbacks_total'), 1);
    assert.match(env.agent?.output() ?? '', /"event":"config_held"/);
    // The rollback is a transaction like any other.
    const history = JSON.parse((await env.cli(['history', '--json'])).out) as {
      strategy: string;
      state: string;
      hash: string;
    }[];
    assert.deepEqual(
      [history[0]!.strategy, history[0]!.state, history[0]!.hash],
      ['rollback:dynamic', 'committed', a.applied_hash],
    );

    // status: HELD, exit 1 (not converged with the spec on purpose).
    const st = await env.cli(['status']);
    assert.equal(st.code, 1, st.out);
    assert.match(st.out, /state {4}HELD on generation 1/);
    assert.match(st.out, /not applying [0-9a-f]{12} \(ends: a new spec, or vpsie-lb-agent release\)/);
    // What serves is shown, not what the spec asks for.
    assert.match(st.out, /pool lb-lb-ops {2}round_robin {2}2\/2 healthy/);
    assert.doesNotMatch(st.out, /\bb3\b/);

    // A poll of the same spec is held, not applied.
    process.kill(env.agent!.child.pid!, 'SIGHUP');
    await statusUntil(
      env,
      'a held reconcile',
      (s) => (s.last_reconcile as { result: string; trigger: string }).result === 'held',
    );
    assert.equal((await env.status()).applied_hash, a.applied_hash);

    // Across an agent restart (Envoy restarted with it here): still held, still serving A.
    await env.stop();
    await env.start();
    const after = await statusUntil(
      env,
      'held after restart',
      (s) =>
        holdOf(s) !== null &&
        (s.last_reconcile as { result: string } | null)?.result === 'held' &&
        (s.envoy as { state: string }).state === 'LIVE',
    );
    assert.equal(after.applied_hash, a.applied_hash);
    await waitFor('A served after restart', 30_000, async () =>
      (await servedBy(env, 6)).join() === 'b1,b2' ? true : undefined,
    );
    assert.equal(await metric(env, 'vpsie_lb_agent_hold_active'), 1);

    // A new spec (differs from the one rolled back from): the hold ends and it applies.
    const specC = env.spec({ backends: [b2, b3] });
    await env.writeSpec(specC);
    const c = await statusUntil(
      env,
      'C applied, hold gone',
      (s) => holdOf(s) === null && converged(s) && s.applied_hash !== a.applied_hash,
    );
    assert.notEqual(c.applied_hash, b.applied_hash);
    assert.match(
      env.agent?.output() ?? '',
      /"event":"hold_released".*hold on [0-9a-f]{12} released: the spec changed/,
    );
    assert.equal(await metric(env, 'vpsie_lb_agent_hold_active'), 0);

    // Roll back again, then release: the spec (C) is applied again.
    assert.equal((await env.cli(['rollback'])).code, 0);
    await statusUntil(env, 'held again', (s) => holdOf(s) !== null);
    const released = await env.cli(['release']);
    assert.equal(released.code, 0, released.out);
    assert.match(released.out, /released by an operator/);
    await statusUntil(
      env,
      'C back after release',
      (s) => holdOf(s) === null && s.applied_hash === c.applied_hash && converged(s),
    );
    const again = await env.cli(['release']);
    assert.equal(again.code, 1);
    assert.match(again.out, /no hold is in effect/);
  });
});
