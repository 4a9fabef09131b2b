// Connections opened before a hot restart, on the real binary: a streaming HTTP/1.1 response finishes and the
// connection is then closed cleanly; a busy keep-alive connection is told `Connection: close`; an HTTP/2 session
// gets GOAWAY (NO_ERROR); an open TCP session keeps echoing through the old epoch until its shutdown time.
import assert from 'node:assert/strict';
import { connect as h2connect } from 'node:http2';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Backend, echoBackend, httpBackends } from './backends.ts';
import { type Agent, cleanupEnv, lbSpec, type RealEnv, realEnv, serving } from './harness.ts';
import { startLoad } from './load.ts';
import { streamGet, tcpSession } from './streams.ts';

const DRAIN_MS = 2000;
const PARENT_SHUTDOWN_MS = 6000;
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups) await c();
});

async function started(protocol: 'http' | 'tcp'): Promise<{ env: RealEnv; agent: Agent }> {
  const env = await realEnv({ drainTimeMs: DRAIN_MS, parentShutdownTimeMs: PARENT_SHUTDOWN_MS });
  const bs: Backend[] = protocol === 'tcp' ? [await echoBackend('echo')] : await httpBackends(2, 'long');
  const agents: Agent[] = [];
  cleanups.push(async () => {
    await cleanupEnv(env, agents);
    for (const b of bs) await b.close();
  });
  await env.writeSpec(
    lbSpec(env, bs, (s) => {
      s.protocol = protocol;
      if (protocol === 'tcp')
        s.health_check = {
          type: 'tcp',
          interval: 5,
          timeout: 2,
          unhealthy_threshold: 3,
          healthy_threshold: 1,
        };
    }),
  );
  const agent = await env.make();
  agents.push(agent);
  const r = await agent.reconciler.reconcile('start');
  assert.equal(r.result, 'applied', r.error);
  return { env, agent };
}

async function hotRestart(env: RealEnv, agent: Agent, epoch: number): Promise<void> {
  env.bootstrap.maxConnections += 1;
  const r = await agent.reconciler.reconcile('bootstrap');
  assert.equal(r.result, 'applied', r.error);
  assert.equal((await env.admin.serverInfo()).restartEpoch, epoch);
}

describe('long-lived connections across a hot restart (real Envoy)', () => {
  it('HTTP/1.1: a streaming response finishes on the old epoch, then Envoy closes the connection cleanly; a busy keep-alive connection gets Connection: close', async () => {
    const { env, agent } = await started('http');
    await serving(env);
    const stream = streamGet(env.port, 40, 100); // 4 s: past the drain time, within the parent shutdown time
    await stream.started;
    const load = startLoad({ port: env.port, keepAliveWorkers: 1, freshWorkers: 0, pauseMs: 100 });
    await sleep(300);
    await hotRestart(env, agent, 1);
    const outcome = await stream.done;
    assert.deepEqual(
      { complete: outcome.complete, error: outcome.error, closedCleanly: outcome.closedCleanly },
      { complete: true, error: undefined, closedCleanly: true },
      JSON.stringify(outcome),
    );
    await sleep(DRAIN_MS + 500);
    const result = await load.stop();
    assert.deepEqual(result.failures, []);
    assert.ok(result.connectionClose >= 1, 'the keep-alive connection was closed with Connection: close');
    assert.ok(result.keepAliveConnections >= 2, 'and the client carried on over a new connection');
  });

  it('HTTP/2: a session opened before the restart gets GOAWAY with NO_ERROR, its requests all answered', async () => {
    const { env, agent } = await started('http');
    await serving(env);
    const session = h2connect(`http://127.0.0.1:${env.port}`);
    const goaway = new Promise<number>((resolve) => session.once('goaway', (code) => resolve(code)));
    const errors: string[] = [];
    session.on('error', (e) => errors.push(e.message));
    let answered = 0;
    let stop = false;
    const loop = (async () => {
      while (!stop && !session.closed && !session.destroyed) {
        const status = await new Promise<number | string>((resolve) => {
          try {
            const req = session.request({ ':path': '/' });
            let code = 0;
            req.on('response', (h) => {
              code = Number(h[':status']);
            });
            req.on('data', () => undefined);
            req.on('end', () => resolve(code));
            req.on('error', (e) => resolve(e.message));
          } catch (e) {
            resolve(String(e));
          }
        });
        if (status === 200) answered++;
        else if (!session.closed && !session.destroyed) errors.push(`status ${status}`);
        await sleep(100);
      }
    })();
    await sleep(500);
    await hotRestart(env, agent, 1);
    const code = await Promise.race([goaway, sleep(PARENT_SHUTDOWN_MS + 5000).then(() => -1)]);
    stop = true;
    await loop;
    session.close();
    assert.equal(code, 0, 'GOAWAY with NO_ERROR');
    assert.deepEqual(errors, []);
    assert.ok(answered > 0);
  });

  it('TCP: an open session keeps echoing through the old epoch after the new one is LIVE, until the parent shutdown time', async () => {
    const { env, agent } = await started('tcp');
    const session = await tcpSession(env.port);
    assert.equal(await session.echo('before'), true);
    const restartedAt = Date.now();
    await hotRestart(env, agent, 1);
    assert.equal(await session.echo('after the new epoch is LIVE'), true);
    await sleep(DRAIN_MS);
    assert.equal(await session.echo('after the drain time'), true);
    const end = await Promise.race([session.ended, sleep(PARENT_SHUTDOWN_MS + 10_000).then(() => undefined)]);
    const openFor = Date.now() - restartedAt;
    assert.ok(end !== undefined, 'the old epoch closed the session when it shut down');
    console.log(
      `tcp session closed ${openFor} ms after the restart began; reset: ${end.reset} ${end.error ?? ''}`,
    );
    const fresh = await tcpSession(env.port);
    assert.equal(await fresh.echo('new session on the new epoch'), true);
    fresh.close();
  });
});
