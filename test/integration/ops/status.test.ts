// `vpsie-lb-agent status` and `history` through the real CLI against a running agent with real Envoy.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { freePort, runCli } from '../../helpers/cli-process.ts';
import { type Backend, converged, type OpsEnv, opsEnv, statusUntil } from './harness.ts';

const envs: OpsEnv[] = [];
after(async () => {
  for (const e of envs) await e.cleanup();
});

const backendsOf = (s: Record<string, unknown>) => s.backends as { id: string; health: string }[];

describe('vpsie-lb-agent status / history (real Envoy)', () => {
  it('shows converged, a backend down, every backend down, and Envoy unreachable; exit 0 only while serving', async () => {
    const env = await opsEnv(2);
    envs.push(env);
    await env.start();
    await statusUntil(env, 'converged with both backends healthy', converged);

    // Converged: exit 0, one screen of at most 80 columns, no colour codes (stdout is a pipe).
    const ok = await env.cli(['status']);
    assert.equal(ok.code, 0, ok.out);
    assert.match(ok.out, /load balancer lb-ops/);
    assert.match(ok.out, /state {4}CONVERGED {2}[0-9a-f]{12} applied/);
    assert.match(ok.out, /envoy {4}LIVE {2}epoch 0/);
    assert.match(ok.out, new RegExp(`LISTENER lb-lb-ops-v4 {2}http :${env.lbPort}`));
    assert.match(ok.out, /pool lb-lb-ops {2}round_robin {2}2\/2 healthy/);
    assert.match(ok.out, new RegExp(`b1 +127\\.0\\.0\\.1:${env.backends[0]!.port} +healthy`));
    assert.match(ok.out, /committed +[0-9a-f]{12}/);
    assert.ok(!ok.out.includes('\x1b['), 'no colour on a pipe');
    for (const line of ok.out.split('\n')) assert.ok(line.length <= 80, `wider than 80: ${line}`);

    // --json is the endpoint's document.
    const json = await env.cli(['status', '--json']);
    assert.equal(json.code, 0);
    const doc = JSON.parse(json.out) as Record<string, unknown>;
    assert.equal(doc.lb_id, 'lb-ops');
    assert.equal(doc.desired_hash, doc.applied_hash);
    // --server points anywhere (no agent.yaml needed).
    const direct = runCli(['status', '--server', `127.0.0.1:${env.agentPort}`]);
    assert.equal(await direct.exited(60_000), 0, direct.output());
    assert.match(direct.output(), /CONVERGED/);

    // One backend down: still serving (exit 0), the backend shows DOWN.
    await env.backends[1]!.stop();
    await statusUntil(
      env,
      'b2 unhealthy',
      (s) => backendsOf(s).find((b) => b.id === 'b2')?.health === 'unhealthy',
    );
    const one = await env.cli(['status']);
    assert.equal(one.code, 0, one.out);
    assert.match(one.out, /1\/2 healthy/);
    assert.match(one.out, /b2 +127\.0\.0\.1:\d+ +DOWN/);

    // Every backend down: the pool serves nothing, exit 1.
    await env.backends[0]!.stop();
    await statusUntil(env, 'b1 unhealthy too', (s) => backendsOf(s).every((b) => b.health === 'unhealthy'));
    const none = await env.cli(['status']);
    assert.equal(none.code, 1, none.out);
    assert.match(none.out, /0\/2 healthy/);
    await env.backends[0]!.start();
    await env.backends[1]!.start();
    await statusUntil(env, 'backends healthy again', converged);

    // Envoy stopped (SIGSTOP: alive, so not restarted, but its admin does not answer): exit 1, state named.
    const pid = (await env.status()).envoy as { pid: number };
    process.kill(pid.pid, 'SIGSTOP');
    try {
      await statusUntil(
        env,
        'Envoy unreachable',
        (s) => (s.envoy as { state: string }).state === 'unreachable',
      );
      const down = await env.cli(['status']);
      assert.equal(down.code, 1, down.out);
      assert.match(down.out, /envoy {4}unreachable/);
    } finally {
      process.kill(pid.pid, 'SIGCONT');
    }
    await statusUntil(env, 'Envoy LIVE again', converged);

    // history: newest first, from state_dir, as text and JSON.
    const history = await env.cli(['history']);
    assert.equal(history.code, 0, history.out);
    assert.match(history.out, /1 transactions in .*transactions\.json, newest first/);
    const records = JSON.parse((await env.cli(['history', '--json'])).out) as {
      state: string;
      durationMs: number;
    }[];
    assert.equal(records.length, 1);
    assert.equal(records[0]!.state, 'committed');
    assert.ok(records[0]!.durationMs >= 0);

    // The agent is not there: status says so and exits 1.
    await env.stop();
    const gone = await env.cli(['status']);
    assert.equal(gone.code, 1);
    assert.match(gone.out, /cannot read http:\/\/127\.0\.0\.1:\d+\/status: ECONNREFUSED/);
  });

  it('a VPSie-form load balancer: one listener per rule, a pool per domain with its host, tcp beside http', async () => {
    const env = await opsEnv(3);
    envs.push(env);
    const [b1, b2, b3] = env.backends as [Backend, Backend, Backend];
    const check = { checkInterval: 1000, fastInterval: 500, rise: 1, fall: 1 };
    const tcpPort = await freePort();
    await env.writeSpec({
      identifier: 'lb-shop',
      lbName: 'shop',
      rules: [
        {
          ruleId: 'web',
          scheme: 'http',
          frontPort: env.lbPort,
          backPort: b1.port,
          domains: [
            {
              domainId: 'www',
              domainName: 'shop.example',
              backends: [{ ip: '127.0.0.1', identifier: 'vm-web-1' }],
              ...check,
            },
            {
              domainId: 'api',
              domainName: 'shop.example',
              subdomain: 'api',
              backPort: b2.port,
              backends: [{ ip: '127.0.0.1', identifier: 'vm-api-1' }],
              ...check,
            },
          ],
        },
        {
          ruleId: 'db',
          scheme: 'tcp',
          frontPort: tcpPort,
          backPort: b3.port,
          backends: [{ ip: '127.0.0.1', identifier: 'vm-db-1' }],
        },
      ],
    });
    await env.start();
    await statusUntil(env, 'converged, every backend healthy', converged);
    await b2.stop();
    await statusUntil(
      env,
      'the api backend down',
      (s) => backendsOf(s).find((b) => b.id === 'vm-api-1')?.health === 'unhealthy',
    );
    const r = await env.cli(['status']);
    // The api pool has no healthy backend: not serving everything, exit 1.
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /^load balancer lb-shop \(shop\)/);
    assert.match(r.out, new RegExp(`LISTENER \\S+web-v4 {2}http :${env.lbPort}\\n`));
    assert.match(
      r.out,
      /pool \S+\|www {2}round_robin {2}1\/1 healthy {2}shop\.example\n +vm-web-1 +127\.0\.0\.1:\d+ +healthy/,
    );
    assert.match(
      r.out,
      /pool \S+\|api {2}round_robin {2}0\/1 healthy {2}api\.shop\.example\n +vm-api-1 +127\.0\.0\.1:\d+ +DOWN/,
    );
    assert.match(
      r.out,
      new RegExp(
        `LISTENER \\S+db-v4 {2}tcp :${tcpPort}\\n +pool \\S+\\|db {2}round_robin {2}1/1 healthy\\n +vm-db-1 `,
      ),
    );
    for (const line of r.out.split('\n')) assert.ok(line.length <= 80, `wider than 80: ${line}`);
  });
});
