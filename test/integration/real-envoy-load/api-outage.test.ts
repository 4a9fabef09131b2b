// The VPSie API unreachable for a while, with the real CLI, the real Envoy and load running: first the events
// endpoint answers 503 while three spec changes are applied, then the whole API drops every connection. Envoy
// keeps serving (no failed request); once the API is back every event arrives, once, in the order it happened.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { FakeVpsieApi } from '../../fakes/vpsie-api.ts';
import { writeAgentYaml } from '../lifecycle/harness.ts';
import { type Backend, httpBackends } from './backends.ts';
import { cleanupEnv, eventually, freePort, lbSpec, realEnv } from './harness.ts';
import { type Load, moreRequests, startLoad } from './load.ts';

const REPO = resolve(import.meta.dirname, '../../..');
const API_KEY = 'outage-test-key-0123456789abcdef';
const LB = 'lb-outage';
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

interface SentEvent {
  type: string;
  metadata?: { hash?: string };
}

describe('VPSie API unreachable (real CLI, real Envoy, load running)', () => {
  it('Envoy keeps serving; the events queued meanwhile are delivered afterwards, in order, none lost', async () => {
    const env = await realEnv();
    const pool: Backend[] = await httpBackends(5, 'o');
    const api = await FakeVpsieApi.start({ apiKey: API_KEY, loadbalancerId: LB });
    let agent: ChildProcess | undefined;
    let load: Load | undefined;
    cleanups.push(async () => {
      await load?.stop();
      if (agent?.pid !== undefined) {
        try {
          process.kill(-agent.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      await api.close();
      await cleanupEnv(env, []);
      for (const b of pool) await b.close();
    });
    const c = env.config;
    const _e = c.envoy;
    await writeFile(join(env.root, 'api-key'), `${API_KEY}\n`, { mode: 0o600 });
    await writeFile(join(env.root, 'ca.pem'), api.caPem);
    const config = await writeAgentYaml(env, {
      fileSource: false,
      top: [
        'vpsie:',
        `  api_url: ${api.url}`,
        `  api_key_file: ${join(env.root, 'api-key')}`,
        `  loadbalancer_id: ${LB}`,
        '  poll_interval: 1h',
        '  allow_insecure_api: true',
        'address_policy: {allow_cidrs: [127.0.0.0/8]}',
        'logging: {level: info}',
        `server: {listen: 127.0.0.1:${await freePort()}}`,
      ],
    });
    const spec = (from: number) =>
      lbSpec(env, pool.slice(from, from + 2), (s) => {
        s.id = LB;
      });
    api.setSpec({ error: false, data: spec(0) });
    agent = spawn(
      process.execPath,
      ['--import', 'tsx', join(REPO, 'src/cli.ts'), 'run', '--config', config],
      {
        cwd: REPO,
        env: { ...process.env, NODE_EXTRA_CA_CERTS: join(env.root, 'ca.pem') },
        stdio: ['ignore', 'ignore', 'ignore'],
        detached: true,
      },
    );
    const sent = () => api.events as SentEvent[];
    const updates = () => sent().filter((ev) => ev.type === 'config_updated');
    await eventually(
      'first configuration applied and reported',
      () => (updates().length === 1 ? true : undefined),
      60_000,
    );
    load = startLoad({ port: env.port, keepAliveWorkers: 2, freshWorkers: 1 });
    await moreRequests(load, 20);

    // The events endpoint fails; the spec still comes: three changes are applied, their events queue up.
    api.setOutage({ match: { method: 'POST', pathIncludes: '/events' }, status: 503 });
    const applied: string[] = [];
    const appliedHash = async () =>
      (
        JSON.parse(await readFile(join(c.stateDir, 'applied.json'), 'utf8').catch(() => '{}')) as {
          hash?: string;
        }
      ).hash ?? '';
    for (const from of [1, 2, 3]) {
      const previous = await appliedHash();
      api.setSpec({ error: false, data: spec(from) });
      agent.kill('SIGHUP');
      applied.push(
        await eventually(
          `change ${from} applied`,
          async () => {
            const h = await appliedHash();
            return h !== previous && h !== '' ? h : undefined;
          },
          60_000,
        ),
      );
      await moreRequests(load, 10);
    }
    // Then the whole API is unreachable (every connection dropped), a poll fails; Envoy keeps serving.
    api.setOutage({ destroySocket: true });
    agent.kill('SIGHUP');
    await sleep(3000);
    await moreRequests(load, 20);
    assert.equal(updates().length, 1, 'nothing delivered during the outage');

    api.setOutage(undefined);
    await eventually(
      'every queued event delivered',
      () => (updates().length === 4 ? true : undefined),
      90_000,
    );
    await sleep(1000);
    assert.deepEqual(
      updates()
        .slice(1)
        .map((ev) => ev.metadata?.hash),
      applied,
      'in the order they happened, each once',
    );
    const result = await load.stop();
    load = undefined;
    assert.deepEqual(result.failures, [], `failed requests: ${JSON.stringify(result.failures.slice(0, 5))}`);
  });
});
