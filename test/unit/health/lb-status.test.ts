import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type BackendHealth, BackendHealthReporter } from '../../../src/health/backend-health.ts';
import { adminClusterHostSource } from '../../../src/health/envoy-sources.ts';
import {
  computeLbStatus,
  type LbStatus,
  type LbStatusApi,
  LbStatusReporter,
  lastApplyFailed,
} from '../../../src/health/lb-status.ts';
import type { ReconcileReport } from '../../../src/reconcile/reconciler.ts';
import type { LoadBalancerSpec } from '../../../src/spec/types.ts';
import { modelOf } from '../../helpers/model-of.ts';
import { type FakeAdmin, startFakeAdmin } from './fake-admin.ts';

class RecordingStatusApi implements LbStatusApi {
  readonly puts: LbStatus[] = [];
  failing = false;
  async putStatus(status: LbStatus): Promise<unknown> {
    if (this.failing) throw new Error('PUT /status: connect ECONNREFUSED');
    this.puts.push(status);
    return {};
  }
  take(): LbStatus[] {
    return this.puts.splice(0);
  }
}

const SPEC: LoadBalancerSpec = {
  id: 'web',
  name: 'web',
  protocol: 'http',
  port: 80,
  algorithm: 'round_robin',
  backends: [
    { id: 'be-1', address: '10.0.0.1', addressKind: 'ipv4', port: 8080, weight: 1, enabled: true },
    { id: 'be-2', address: '10.0.0.2', addressKind: 'ipv4', port: 8080, weight: 1, enabled: true },
  ],
  timeouts: { connectSeconds: 5 },
};

describe('LbStatusReporter with backend health from a fake Envoy admin', () => {
  let admin: FakeAdmin;
  before(async () => {
    admin = await startFakeAdmin();
  });
  after(() => admin.close());

  it('moves through active, degraded and error with one PUT per transition', async () => {
    admin.clusters.set('lb-web', [
      { address: '10.0.0.1', port: 8080 },
      { address: '10.0.0.2', port: 8080 },
    ]);
    const backends = new BackendHealthReporter({
      source: adminClusterHostSource({ host: '127.0.0.1', port: admin.port }, 'lb-web'),
      api: { putBackendHealth: async () => ({}) },
      spec: () => modelOf(SPEC),
    });
    const api = new RecordingStatusApi();
    let envoyServing = true;
    let applyFailed = false;
    const reporter = new LbStatusReporter({
      api,
      inputs: () => ({ envoyServing, lastApplyFailed: applyFailed, backends: backends.health() }),
    });
    const round = async (): Promise<void> => {
      await backends.tick();
      await reporter.tick();
    };
    const host = (address: string) => {
      const found = admin.clusters.get('lb-web')?.find((h) => h.address === address);
      if (found === undefined) throw new Error(address);
      return found;
    };

    // Start-up: reported once even though nothing "changed".
    await round();
    await round();
    assert.deepEqual(api.take(), ['active']);

    host('10.0.0.2').failedActiveHc = true;
    await round();
    await round();
    assert.deepEqual(api.take(), ['degraded']);
    assert.match(reporter.current()?.reason ?? '', /1 of 2 backends unhealthy/);

    host('10.0.0.1').failedActiveHc = true;
    await round();
    await round();
    assert.deepEqual(api.take(), ['error']);
    assert.equal(reporter.current()?.reason, 'no healthy backends');

    host('10.0.0.1').failedActiveHc = false;
    host('10.0.0.2').failedActiveHc = false;
    await round();
    assert.deepEqual(api.take(), ['active']);

    applyFailed = true;
    await round();
    await round();
    assert.deepEqual(api.take(), ['degraded']);

    envoyServing = false;
    await round();
    assert.deepEqual(api.take(), ['error']);

    envoyServing = true;
    applyFailed = false;
    await round();
    assert.deepEqual(api.take(), ['active']);
  });

  it('retries a failed PUT at the next tick', async () => {
    const api = new RecordingStatusApi();
    const health = new Map<string, BackendHealth>([['be-1', 'healthy']]);
    const reporter = new LbStatusReporter({
      api,
      inputs: () => ({ envoyServing: true, lastApplyFailed: false, backends: health }),
    });
    api.failing = true;
    await reporter.tick();
    assert.deepEqual(api.take(), []);
    api.failing = false;
    await reporter.tick();
    await reporter.tick();
    assert.deepEqual(api.take(), ['active']);
  });
});

describe('computeLbStatus', () => {
  const healthy = new Map<string, BackendHealth>([
    ['a', 'healthy'],
    ['b', 'healthy'],
  ]);
  it('active only when Envoy serves, all backends are healthy and the last apply succeeded', () => {
    assert.equal(
      computeLbStatus({ envoyServing: true, lastApplyFailed: false, backends: healthy }).status,
      'active',
    );
  });
  it('error on a critical failure, no enabled backends, or Envoy down', () => {
    const critical = computeLbStatus({
      envoyServing: true,
      lastApplyFailed: true,
      criticalFailure: 'could not restore the previous configuration',
      backends: healthy,
    });
    assert.deepEqual(critical, {
      status: 'error',
      reason: 'critical failure: could not restore the previous configuration',
    });
    assert.equal(
      computeLbStatus({ envoyServing: true, lastApplyFailed: false, backends: new Map() }).status,
      'error',
    );
    assert.equal(
      computeLbStatus({ envoyServing: false, lastApplyFailed: false, backends: healthy }).status,
      'error',
    );
  });
  it('degraded while backend health is not yet known', () => {
    const verdict = computeLbStatus({
      envoyServing: true,
      lastApplyFailed: false,
      backends: new Map<string, BackendHealth>([
        ['a', 'unknown'],
        ['b', 'unknown'],
      ]),
    });
    assert.deepEqual(verdict, { status: 'degraded', reason: '2 of 2 backends not yet checked' });
  });
});

describe('lastApplyFailed', () => {
  const r = (result: ReconcileReport['result']): ReconcileReport => ({
    result,
    trigger: 'poll',
    at: '2026-01-01T00:00:00.000Z',
    durationMs: 1,
  });
  it('is set by failed and rejected, cleared by applied, kept otherwise', () => {
    let failed = false;
    const seq: [ReconcileReport['result'], boolean][] = [
      ['failed', true],
      ['unchanged', true],
      ['source_error', true],
      ['applied', false],
      ['rejected', true],
      ['applied', false],
      ['unchanged', false],
    ];
    for (const [result, expected] of seq) {
      failed = lastApplyFailed(failed, r(result));
      assert.equal(failed, expected, result);
    }
  });
});

describe('LbStatusReporter while the agent starts', () => {
  it('reports nothing while starting, then the first verdict once', async () => {
    const api = new RecordingStatusApi();
    let starting = true;
    const reporter = new LbStatusReporter({
      api,
      inputs: () => ({ starting, envoyServing: false, lastApplyFailed: false, backends: new Map() }),
    });
    await reporter.tick();
    await reporter.tick();
    assert.deepEqual(api.take(), [], 'no guess before anything is known');
    assert.equal(reporter.current(), undefined);
    starting = false;
    await reporter.tick();
    await reporter.tick();
    assert.deepEqual(api.take(), ['error']);
  });
});
