import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { ClusterStatus, FailureFlag, HostStatus } from '../../../src/envoy/admin/client.ts';
import { canonicalAddress } from '../../../src/health/address.ts';
import {
  type BackendHealthApi,
  BackendHealthReporter,
  deriveBackendHealth,
  type ReportedHealth,
} from '../../../src/health/backend-health.ts';
import { adminClusterHostSource, clusterHosts } from '../../../src/health/envoy-sources.ts';
import { fromFlat } from '../../../src/model/flat.ts';
import type { Backend, LoadBalancerSpec } from '../../../src/spec/types.ts';
import { modelOf } from '../../helpers/model-of.ts';
import { type FakeAdmin, startFakeAdmin } from './fake-admin.ts';

const CLUSTER = 'lb-web';

const backend = (id: string, address: string, port: number, fields: Partial<Backend> = {}): Backend => ({
  id,
  address,
  addressKind: address.includes(':') ? 'ipv6' : /^[\d.]+$/.test(address) ? 'ipv4' : 'hostname',
  port,
  weight: 1,
  enabled: true,
  ...fields,
});

const specWith = (backends: Backend[]): LoadBalancerSpec => ({
  id: 'web',
  name: 'web',
  protocol: 'http',
  port: 80,
  algorithm: 'round_robin',
  backends,
  timeouts: { connectSeconds: 5 },
});

/** Records every PUT attempt; ids in `failing` get an error instead of an acknowledgement. */
class RecordingApi implements BackendHealthApi {
  readonly attempts: [string, ReportedHealth][] = [];
  readonly acknowledged: [string, ReportedHealth][] = [];
  readonly failing = new Set<string>();
  async putBackendHealth(id: string, status: ReportedHealth): Promise<unknown> {
    this.attempts.push([id, status]);
    if (this.failing.has(id)) throw new Error('PUT /backends/health: HTTP 503');
    this.acknowledged.push([id, status]);
    return {};
  }
  take(): [string, ReportedHealth][] {
    const out = [...this.acknowledged].sort((a, b) => a[0].localeCompare(b[0]));
    this.acknowledged.length = 0;
    this.attempts.length = 0;
    return out;
  }
}

describe('BackendHealthReporter against a fake Envoy admin', () => {
  let admin: FakeAdmin;
  let api: RecordingApi;
  let spec: LoadBalancerSpec;
  let reporter: BackendHealthReporter;

  before(async () => {
    admin = await startFakeAdmin();
  });
  after(() => admin.close());

  beforeEach(() => {
    api = new RecordingApi();
    admin.failWith = undefined;
    spec = specWith([
      backend('be-1', '10.0.0.1', 8080),
      backend('be-2', '2001:db8::1', 8080),
      backend('be-3', '10.0.0.3', 8080),
      backend('be-off', '10.0.0.4', 8080, { enabled: false }),
    ]);
    admin.clusters = new Map([
      [
        CLUSTER,
        [
          { address: '10.0.0.1', port: 8080 },
          // Envoy's spelling need not be the spec's: compared canonically.
          { address: '2001:0DB8:0:0::1', port: 8080 },
          { address: '10.0.0.3', port: 8080, failedActiveHc: true },
        ],
      ],
    ]);
    reporter = new BackendHealthReporter({
      source: adminClusterHostSource({ host: '127.0.0.1', port: admin.port }, CLUSTER),
      api,
      spec: () => modelOf(spec),
    });
  });

  const host = (address: string) => {
    const found = admin.clusters.get(CLUSTER)?.find((h) => h.address === address);
    if (found === undefined) throw new Error(`no fake host ${address}`);
    return found;
  };

  it('reports every enabled backend once after start-up, then nothing while nothing changes', async () => {
    await reporter.tick();
    assert.deepEqual(api.take(), [
      ['be-1', 'healthy'],
      ['be-2', 'healthy'],
      ['be-3', 'unhealthy'],
    ]);
    await reporter.tick();
    await reporter.tick();
    assert.deepEqual(api.take(), []);
    assert.deepEqual(reporter.backends(), [
      { id: 'be-1', address: '10.0.0.1', port: 8080, enabled: true, health: 'healthy' },
      { id: 'be-2', address: '2001:db8::1', port: 8080, enabled: true, health: 'healthy' },
      { id: 'be-3', address: '10.0.0.3', port: 8080, enabled: true, health: 'unhealthy' },
      { id: 'be-off', address: '10.0.0.4', port: 8080, enabled: false, health: 'unknown' },
    ]);
  });

  it('sends exactly one PUT per change', async () => {
    await reporter.tick();
    api.take();

    host('10.0.0.1').failedActiveHc = true;
    await reporter.tick();
    await reporter.tick();
    assert.deepEqual(api.take(), [['be-1', 'unhealthy']]);

    host('10.0.0.1').failedActiveHc = false;
    host('10.0.0.3').failedActiveHc = false;
    await reporter.tick();
    await reporter.tick();
    assert.deepEqual(api.take(), [
      ['be-1', 'healthy'],
      ['be-3', 'healthy'],
    ]);

    // Outlier ejection counts as down too.
    host('2001:0DB8:0:0::1').failedOutlier = true;
    await reporter.tick();
    assert.deepEqual(api.take(), [['be-2', 'unhealthy']]);
  });

  it('retries a failed PUT at the next tick, and only until it succeeds', async () => {
    api.failing.add('be-1');
    await reporter.tick();
    assert.deepEqual(
      api.attempts.filter(([id]) => id === 'be-1'),
      [['be-1', 'healthy']],
    );
    assert.deepEqual(api.take(), [
      ['be-2', 'healthy'],
      ['be-3', 'unhealthy'],
    ]);

    await reporter.tick();
    assert.deepEqual(api.attempts, [['be-1', 'healthy']]);
    assert.deepEqual(api.take(), []);

    api.failing.clear();
    await reporter.tick();
    assert.deepEqual(api.take(), [['be-1', 'healthy']]);
    await reporter.tick();
    assert.deepEqual(api.attempts, []);
  });

  it('shows every enabled backend as unknown before the first read of Envoy (not "no enabled backends")', () => {
    const enabled = spec.backends.filter((b) => b.enabled).map((b) => b.id);
    assert.deepEqual([...reporter.health().keys()], enabled);
    assert.ok([...reporter.health().values()].every((h) => h === 'unknown'));
  });

  it('forgets backends removed from the spec and reports them afresh when they return', async () => {
    await reporter.tick();
    api.take();
    const full = spec;
    spec = specWith(full.backends.filter((b) => b.id !== 'be-1'));
    await reporter.tick();
    assert.deepEqual(api.take(), []);
    assert.equal(reporter.health().has('be-1'), false);
    spec = full;
    await reporter.tick();
    assert.deepEqual(api.take(), [['be-1', 'healthy']]);
  });

  it('reports nothing while Envoy admin is unavailable, and nothing stale afterwards', async () => {
    await reporter.tick();
    api.take();
    admin.failWith = 503;
    await reporter.tick();
    assert.deepEqual(api.take(), []);
    assert.deepEqual(
      reporter.backends().map((b) => b.health),
      ['unknown', 'unknown', 'unknown', 'unknown'],
    );
    admin.failWith = undefined;
    await reporter.tick();
    // Same states as already acknowledged: no PUT.
    assert.deepEqual(api.take(), []);
    assert.equal(reporter.health().get('be-3'), 'unhealthy');
  });

  it('a host awaiting its first health check gives no verdict', async () => {
    host('10.0.0.1').pendingActiveHc = true;
    host('10.0.0.1').failedActiveHc = true;
    await reporter.tick();
    assert.deepEqual(api.take(), [
      ['be-2', 'healthy'],
      ['be-3', 'unhealthy'],
    ]);
    assert.equal(reporter.health().get('be-1'), 'unknown');
    host('10.0.0.1').pendingActiveHc = false;
    host('10.0.0.1').failedActiveHc = false;
    await reporter.tick();
    assert.deepEqual(api.take(), [['be-1', 'healthy']]);
  });

  it('a DNS backend is the aggregate of the hosts Envoy resolved for it', async () => {
    spec = specWith([backend('be-dns', 'app.example.com', 8080)]);
    admin.clusters.set(CLUSTER, []);
    await reporter.tick();
    assert.deepEqual(api.take(), []);
    assert.equal(reporter.health().get('be-dns'), 'unknown');

    admin.clusters.set(CLUSTER, [
      { address: '192.0.2.10', port: 8080, hostname: 'app.example.com', failedActiveHc: true },
      { address: '192.0.2.11', port: 8080, hostname: 'app.example.com' },
    ]);
    await reporter.tick();
    assert.deepEqual(api.take(), [['be-dns', 'healthy']]);

    host('192.0.2.11').failedActiveHc = true;
    await reporter.tick();
    assert.deepEqual(api.take(), [['be-dns', 'unhealthy']]);
  });
});

describe('deriveBackendHealth', () => {
  it('matches IPv6 and IPv4-mapped forms canonically and ignores other ports', () => {
    const health = deriveBackendHealth(
      [
        backend('v6', 'fe80::1:2', 443),
        backend('mapped', '192.0.2.7', 443),
        backend('other-port', '192.0.2.7', 444),
      ],
      [
        { address: 'FE80:0:0:0:0:0:1:2', port: 443, healthy: false },
        { address: '::ffff:192.0.2.7', port: 443, healthy: true },
      ],
    );
    assert.deepEqual(Object.fromEntries(health), {
      v6: 'unhealthy',
      mapped: 'healthy',
      'other-port': 'unknown',
    });
  });

  it('canonicalAddress spells each address one way', () => {
    assert.equal(canonicalAddress('2001:DB8:0:0:0:0:0:1'), '2001:db8::1');
    assert.equal(canonicalAddress('[::FFFF:c000:0207]'), '192.0.2.7');
    assert.equal(canonicalAddress('App.Example.COM.'), 'app.example.com');
    assert.equal(canonicalAddress('10.0.0.1'), '10.0.0.1');
  });
});

describe('clusterHosts', () => {
  const host = (failureFlags: FailureFlag[], edsHealthStatus = 'HEALTHY', hostname?: string): HostStatus => ({
    address: '10.0.0.1',
    port: 80,
    healthy: false,
    failureFlags,
    edsHealthStatus,
    weight: 1,
    stats: new Map(),
    ...(hostname === undefined ? {} : { hostname }),
  });
  const cluster = (h: HostStatus): ClusterStatus[] => [
    { name: 'other', addedViaApi: false, hosts: [{ ...host([]), address: '10.9.9.9' }] },
    { name: 'lb-web', addedViaApi: true, hosts: [h] },
  ];
  it('reads EDS health and Envoy flags the way Envoy routes', () => {
    const healthy = (flags: FailureFlag[], eds?: string) =>
      clusterHosts(cluster(host(flags, eds)), 'lb-web')[0]?.healthy;
    assert.equal(healthy([], 'HEALTHY'), true);
    assert.equal(healthy([], 'UNKNOWN'), true);
    assert.equal(healthy([], 'DEGRADED'), true);
    assert.equal(healthy(['failed_active_degraded_check']), true);
    assert.equal(healthy(['pending_dynamic_removal']), true);
    assert.equal(healthy([], 'UNHEALTHY'), false);
    assert.equal(healthy([], 'DRAINING'), false);
    assert.equal(healthy(['active_hc_timeout']), false);
    assert.equal(healthy(['excluded_via_immediate_hc_fail']), false);
    assert.equal(healthy(['failed_outlier_check']), false);
  });
  it('keeps the DNS hostname and the pending flag; an absent (warming) cluster has no hosts', () => {
    assert.deepEqual(
      clusterHosts(cluster(host(['pending_active_hc'], 'HEALTHY', 'app.example.com')), 'lb-web'),
      [{ address: '10.0.0.1', port: 80, healthy: true, pending: true, hostname: 'app.example.com' }],
    );
    assert.deepEqual(clusterHosts(cluster(host([])), 'lb-web'), [
      { address: '10.0.0.1', port: 80, healthy: true },
    ]);
    assert.deepEqual(clusterHosts(cluster(host([])), 'lb-absent'), []);
  });
});

describe('BackendHealthReporter with a fingerprint', () => {
  it('reads the hosts only when the fingerprint moves, the spec changes, or every 30th tick', async () => {
    let fingerprint = 'a';
    let reads = 0;
    let healthy = true;
    const source = {
      fingerprint: async () => fingerprint,
      hosts: async () => {
        reads++;
        return [{ address: '10.0.0.1', port: 80, healthy }];
      },
    };
    let spec = fromFlat(specWith([backend('be-1', '10.0.0.1', 80)]));
    const api = new RecordingApi();
    const reporter = new BackendHealthReporter({ source, api, spec: () => spec });
    await reporter.tick();
    assert.deepEqual(api.take(), [['be-1', 'healthy']]);
    for (let i = 0; i < 29; i++) await reporter.tick();
    assert.equal(reads, 1, '29 idle ticks read no hosts');
    await reporter.tick();
    assert.equal(reads, 2, 'the 30th reads them anyway');
    healthy = false;
    fingerprint = 'b';
    await reporter.tick();
    assert.equal(reads, 3);
    assert.deepEqual(api.take(), [['be-1', 'unhealthy']]);
    spec = fromFlat(
      specWith([backend('be-1', '10.0.0.1', 80), backend('be-2', '10.0.0.1', 80, { enabled: false })]),
    );
    await reporter.tick();
    assert.equal(reads, 4, 'a new spec is read at once');
  });

  it('the admin source fingerprint follows the cluster membership gauges of a fake Envoy', async () => {
    const admin = await startFakeAdmin();
    try {
      admin.clusters.set(CLUSTER, [{ address: '10.0.0.1', port: 80 }]);
      const source = adminClusterHostSource({ host: '127.0.0.1', port: admin.port }, CLUSTER);
      const before = await source.fingerprint?.();
      assert.match(before ?? '', /membership_healthy=1/);
      const first = admin.clusters.get(CLUSTER)?.[0];
      if (first) first.failedActiveHc = true;
      assert.notEqual(await source.fingerprint?.(), before);
    } finally {
      await admin.close();
    }
  });
});
