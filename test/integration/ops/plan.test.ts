// `vpsie-lb-agent plan` through the real CLI against the state_dir of a running agent with real Envoy: what it says
// would change is then applied, and Envoy's own listener stats show the same thing.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createAdminClient } from '../../../src/envoy/admin/client.ts';
import { freePort, waitFor } from '../../helpers/cli-process.ts';
import { type Backend, converged, type OpsEnv, opsEnv, statusUntil } from './harness.ts';

const envs: OpsEnv[] = [];
after(async () => {
  for (const e of envs) await e.cleanup();
});

const LISTENER_STATS = '^listener_manager\\.listener_(in_place_updated|modified)$';

describe('vpsie-lb-agent plan (real Envoy)', () => {
  it('no change, backend change, listener changes, bootstrap change and an invalid document', async () => {
    const env = await opsEnv(3);
    envs.push(env);
    // b3 is spare: the backend change moves b2 there.
    const base = () => env.spec({ backends: env.backends.slice(0, 2) });
    await env.writeSpec(base());
    await env.start();
    await statusUntil(env, 'converged', converged);
    const admin = createAdminClient({ host: '127.0.0.1', port: env.adminPort });
    const applyAndWait = async (spec: Record<string, unknown>) => {
      const before = (await env.status()).applied_hash;
      await env.writeSpec(spec);
      await statusUntil(env, 'the change applied', (s) => s.applied_hash !== before && converged(s)).catch(
        async (err: unknown) => {
          throw new Error(
            `${String(err)}\n${JSON.stringify(await env.status())}\n${env.agent?.output().slice(-3000)}`,
          );
        },
      );
    };
    const planFile = join(env.root, 'plan.json');

    // No change: the document the agent runs, from standard input. Exit 0.
    const same = await env.cli(['plan', '--spec', '-'], JSON.stringify(base()));
    assert.equal(same.code, 0, same.out);
    assert.match(same.out, /no change: [0-9a-f]{12} is what is committed/);

    // A backend's port: the cluster changes, by file update, nothing drains. Exit 3.
    const moved = base();
    (moved.backends as { port: number }[])[1]!.port = env.backends[2]!.port;
    await writeFile(planFile, JSON.stringify(moved));
    const backendPlan = await env.cli(['plan', '--spec', planFile]);
    assert.equal(backendPlan.code, 3, backendPlan.out);
    // Endpoints only (EDS): the cluster and the listener stay as they are.
    assert.match(backendPlan.out, /~ ClusterLoadAssignment lb-lb-ops\n/);
    assert.doesNotMatch(backendPlan.out, /~ Cluster |Listener/);
    assert.match(
      backendPlan.out,
      new RegExp(`- endpoints\\[0\\]\\.lb_endpoints\\[127\\.0\\.0\\.1:${env.backends[1]!.port}\\]\\n`),
    );
    assert.match(
      backendPlan.out,
      new RegExp(`\\+ endpoints\\[0\\]\\.lb_endpoints\\[127\\.0\\.0\\.1:${env.backends[2]!.port}\\]\\n`),
    );
    assert.match(backendPlan.out, /apply {2}file update \(no new Envoy epoch\)/);
    // Only the endpoint file moves (the agent moves no file whose resources did not change).
    assert.match(
      backendPlan.out,
      /apply {2}file update \(no new Envoy epoch\)\n +moves endpoints\/lb-lb-ops\.json\ndrain/,
    );
    for (const line of backendPlan.out.split('\n')) assert.ok(line.length <= 80, `wider than 80: ${line}`);
    assert.match(backendPlan.out, /drain {2}no listener drains connections/);
    const json = JSON.parse((await env.cli(['plan', '--spec', planFile, '--json'])).out) as {
      resources: { type: string; change: string }[];
      method: { kind: string };
    };
    assert.deepEqual(
      json.resources.map((r) => `${r.change} ${r.type}`),
      ['modified ClusterLoadAssignment'],
    );
    assert.equal(json.method.kind, 'file_update');

    // The HTTP request timeout lives in the listener's filter chain: plan says in-place, and Envoy agrees.
    const timed = { ...base(), timeouts: { connect: 5, request: 17 } };
    await writeFile(planFile, JSON.stringify(timed));
    const chainPlan = await env.cli(['plan', '--spec', planFile]);
    assert.equal(chainPlan.code, 3, chainPlan.out);
    assert.match(chainPlan.out, /~ Listener lb-lb-ops-v4/);
    assert.match(chainPlan.out, /filter_chains….*typed_config\.request_timeout:\n +"300s" -> "17s"\n/);
    assert.match(
      chainPlan.out,
      /drain {2}lb-lb-ops-v4\n +updated in place: connections on changed filter chains drain for 1s\n/,
    );
    const s0 = await admin.statsFiltered(LISTENER_STATS);
    await applyAndWait(timed);
    const s1 = await admin.statsFiltered(LISTENER_STATS);
    assert.equal(
      (s1.get('listener_manager.listener_in_place_updated') ?? 0) -
        (s0.get('listener_manager.listener_in_place_updated') ?? 0),
      1,
    );

    // The listener's port: the listener is replaced (not in place), and drains.
    const other = { ...timed, port: await freePort() };
    await writeFile(planFile, JSON.stringify(other));
    const portPlan = await env.cli(['plan', '--spec', planFile]);
    assert.equal(portPlan.code, 3, portPlan.out);
    assert.match(
      portPlan.out,
      new RegExp(`address\\.socket_address\\.port_value: ${env.lbPort} -> ${other.port}`),
    );
    assert.match(portPlan.out, /drain {2}lb-lb-ops-v4\n +replaced: its connections drain for 1s\n/);
    assert.match(portPlan.out, /apply {2}file update/);
    await applyAndWait(other);
    const s2 = await admin.statsFiltered(LISTENER_STATS);
    assert.equal(
      (s2.get('listener_manager.listener_modified') ?? 0) -
        (s1.get('listener_manager.listener_modified') ?? 0),
      1,
    );
    assert.equal(
      s2.get('listener_manager.listener_in_place_updated'),
      s1.get('listener_manager.listener_in_place_updated'),
    );

    // A bootstrap change (agent.yaml's envoy.max_connections feeds the overload manager): hot restart, and why.
    const yaml = join(env.root, 'agent-more.yaml');
    const { readFile } = await import('node:fs/promises');
    await writeFile(
      yaml,
      (await readFile(env.configFile, 'utf8')).replace('envoy:\n', 'envoy:\n  max_connections: 1234\n'),
    );
    const bootPlan = await (async () => {
      const { runCli } = await import('../../helpers/cli-process.ts');
      const p = runCli(['plan', '--spec', planFile, '--config', yaml]);
      return { code: await p.exited(60_000), out: p.output() };
    })();
    assert.equal(bootPlan.code, 3, bootPlan.out);
    assert.match(bootPlan.out, /~ bootstrap/);
    assert.match(bootPlan.out, /max_active_downstream_connections:\n +50000 -> 1234\n/);
    assert.match(bootPlan.out, /apply {2}HOT RESTART \(new Envoy epoch\)/);
    assert.match(bootPlan.out, /the bootstrap changes \(1 field, above\): Envoy reads it only at start/);
    assert.match(bootPlan.out, /drain {2}lb-lb-ops-v4\n +hot restart: the old epoch drains it for 1s\n/);

    // An invalid document: exit 1, the problem with its path, nothing else.
    await writeFile(planFile, JSON.stringify({ ...base(), port: 70000 }));
    const bad = await env.cli(['plan', '--spec', planFile]);
    assert.equal(bad.code, 1, bad.out);
    assert.match(bad.out, /port: must be 1\.\.65535, got 70000/);
    assert.match(bad.out, /the document is invalid; nothing would change/);

    // Usage: exit 2, distinct from every plan outcome.
    const usage = await env.cli(['plan']);
    assert.equal(usage.code, 2);
  });

  it('VPSie form: a new domain is a route, a cluster and its endpoints; no listener changes or drains', async () => {
    const env = await opsEnv(2);
    envs.push(env);
    const [b1, b2] = env.backends as [Backend, Backend];
    const check = { checkInterval: 1000, fastInterval: 500, rise: 1, fall: 1 };
    const domain = (id: string, name: string, b: Backend, identifier: string) => ({
      domainId: id,
      domainName: name,
      backPort: b.port,
      backends: [{ ip: '127.0.0.1', identifier }],
      ...check,
    });
    const doc = (domains: object[]) => ({
      identifier: 'lb-shop',
      lbName: 'shop',
      rules: [{ ruleId: 'web', scheme: 'http', frontPort: env.lbPort, domains }],
    });
    const one = doc([domain('www', 'shop.example', b1, 'vm-web-1')]);
    const two = doc([
      domain('www', 'shop.example', b1, 'vm-web-1'),
      domain('api', 'api.shop.example', b2, 'vm-api-1'),
    ]);
    await env.writeSpec(one);
    await env.start();
    const first = await statusUntil(env, 'converged', converged);
    const planFile = join(env.root, 'two.json');
    await writeFile(planFile, JSON.stringify(two));
    const p = await env.cli(['plan', '--spec', planFile]);
    assert.equal(p.code, 3, p.out);
    assert.match(p.out, /~ RouteConfiguration \S+web/);
    assert.match(p.out, /\+ Cluster \S+\|api \(added\)/);
    assert.match(p.out, /\+ ClusterLoadAssignment \S+\|api \(added\)/);
    assert.doesNotMatch(p.out, /Listener/);
    assert.match(p.out, /apply {2}file update \(no new Envoy epoch\)/);
    assert.match(p.out, /drain {2}no listener drains connections/);

    // Applied on real Envoy: no listener was modified, and the new host answers.
    const admin = createAdminClient({ host: '127.0.0.1', port: env.adminPort });
    const before = await admin.statsFiltered(LISTENER_STATS);
    await env.writeSpec(two);
    await statusUntil(
      env,
      'two domains applied',
      (s) => s.applied_hash !== first.applied_hash && converged(s),
    );
    const after = await admin.statsFiltered(LISTENER_STATS);
    assert.deepEqual([...after], [...before]);
    // fetch() does not let a Host header through; node:http does.
    const get = (host: string) =>
      new Promise<string>((resolve, reject) => {
        const req = http.get(
          { host: '127.0.0.1', port: env.lbPort, path: '/', headers: { host, connection: 'close' } },
          (res) => {
            let body = '';
            res.on('data', (d: Buffer) => {
              body += d.toString();
            });
            res.on('end', () => resolve(body.trim()));
          },
        );
        req.on('error', reject);
      });
    const answer = await waitFor('api.shop.example answered by b2', 20_000, async () => {
      const text = await get('api.shop.example').catch(() => undefined);
      return text === 'b2' ? text : undefined;
    });
    assert.equal(await get('shop.example'), 'b1');
    assert.equal(answer, 'b2');
  });
});
