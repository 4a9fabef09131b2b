import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BackendHealth } from '../../../src/health/backend-health.ts';
import { adminStatsSource } from '../../../src/health/envoy-sources.ts';
import {
  type MetricsSummary,
  MetricsSummaryReporter,
  summarizeStats,
} from '../../../src/health/metrics-summary.ts';
import { ManualTimers } from '../../helpers/manual-timers.ts';
import { type FakeAdmin, startFakeAdmin } from './fake-admin.ts';

/** Stats as Envoy names them for an HTTP LB (stat prefix lb_web) on 0.0.0.0:80 and [::]:80 with 2 workers. */
const HTTP_STATS: [string, number][] = [
  ['http.lb_web.downstream_rq_total', 120],
  ['http.lb_web.downstream_rq_5xx', 7],
  ['http.lb_web.downstream_rq_2xx', 113],
  ['http.lb_web.downstream_cx_active', 5],
  ['http.admin.downstream_rq_total', 999],
  ['http.admin.downstream_rq_5xx', 3],
  ['listener.0.0.0.0_80.downstream_cx_active', 4],
  ['listener.0.0.0.0_80.worker_0.downstream_cx_active', 3],
  ['listener.0.0.0.0_80.worker_1.downstream_cx_active', 1],
  ['listener.[__]_80.downstream_cx_active', 1],
  ['listener.[__]_80.worker_0.downstream_cx_active', 1],
  ['listener.admin.downstream_cx_active', 2],
  ['listener.admin.main_thread.downstream_cx_active', 2],
];

describe('summarizeStats', () => {
  it('sums the LB listeners and connection managers, never the admin listener or per-worker copies', () => {
    assert.deepEqual(summarizeStats(new Map(HTTP_STATS)), {
      requests_total: 120,
      connections_active: 5,
      responses_5xx_total: 7,
    });
  });
  it('counts a TCP load balancer’s connections as its requests', () => {
    const stats = new Map([
      ['tcp.lb_db.downstream_cx_total', 40],
      ['listener.0.0.0.0_5432.downstream_cx_active', 6],
    ]);
    assert.deepEqual(summarizeStats(stats), {
      requests_total: 40,
      connections_active: 6,
      responses_5xx_total: 0,
    });
  });
});

class RecordingMetricsApi {
  readonly posts: MetricsSummary[] = [];
  failing = false;
  async postMetrics(summary: MetricsSummary): Promise<unknown> {
    if (this.failing) throw new Error('POST /metrics: HTTP 502');
    this.posts.push(summary);
    return {};
  }
}

/** Lets queued promise callbacks (and loopback I/O) run; bounded. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setImmediate(r));
  assert.ok(cond(), 'condition not reached');
}

describe('MetricsSummaryReporter against a fake Envoy admin', () => {
  let admin: FakeAdmin;
  before(async () => {
    admin = await startFakeAdmin();
  });
  after(() => admin.close());

  const health = new Map<string, BackendHealth>([
    ['be-1', 'healthy'],
    ['be-2', 'unhealthy'],
    ['be-3', 'unknown'],
  ]);

  it('posts a summary each interval, driven by injected timers', async () => {
    admin.stats = new Map(HTTP_STATS);
    const api = new RecordingMetricsApi();
    const timers = new ManualTimers();
    const reporter = new MetricsSummaryReporter({
      stats: adminStatsSource({ host: '127.0.0.1', port: admin.port }),
      api,
      backends: () => health,
      intervalMs: 60_000,
      now: () => new Date('2026-03-01T12:00:00.000Z'),
      timers,
    });
    reporter.start();
    await until(() => api.posts.length === 1 && timers.pending.size === 1);
    assert.deepEqual(api.posts[0], {
      timestamp: '2026-03-01T12:00:00.000Z',
      requests_total: 120,
      connections_active: 5,
      responses_5xx_total: 7,
      backends: [
        { id: 'be-1', healthy: true },
        { id: 'be-2', healthy: false },
      ],
    });
    assert.equal(timers.delays()[0], 60_000);

    admin.stats.set('http.lb_web.downstream_rq_total', 150);
    timers.fire();
    await until(() => api.posts.length === 2 && timers.pending.size === 1);
    assert.equal(api.posts[1]?.requests_total, 150);

    await reporter.stop();
    assert.equal(timers.pending.size, 0);
  });

  it('a failed post yields nothing and the next one goes through', async () => {
    admin.stats = new Map(HTTP_STATS);
    const api = new RecordingMetricsApi();
    api.failing = true;
    const reporter = new MetricsSummaryReporter({
      stats: adminStatsSource({ host: '127.0.0.1', port: admin.port }),
      api,
      backends: () => health,
      intervalMs: 1000,
    });
    assert.equal(await reporter.tick(), undefined);
    api.failing = false;
    assert.equal((await reporter.tick())?.responses_5xx_total, 7);
  });

  it('intervalMs 0 turns it off', async () => {
    const api = new RecordingMetricsApi();
    const timers = new ManualTimers();
    const before = admin.requests;
    const reporter = new MetricsSummaryReporter({
      stats: adminStatsSource({ host: '127.0.0.1', port: admin.port }),
      api,
      backends: () => health,
      intervalMs: 0,
      timers,
    });
    reporter.start();
    await new Promise((r) => setImmediate(r));
    assert.equal(reporter.enabled, false);
    assert.equal(timers.pending.size, 0);
    assert.equal(admin.requests, before);
    assert.deepEqual(api.posts, []);
    await reporter.stop();
  });
});
